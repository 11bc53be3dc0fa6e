import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../migrations");

/** Applies drizzle-kit's migrations (the only way the schema changes) as the owner role. */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await migrate(drizzle(pool), { migrationsFolder: MIGRATIONS });
  } finally {
    await pool.end();
  }
}

/**
 * The local equivalent of a Neon project's owner: a non-superuser login role with CREATEROLE that
 * owns the database. Production gets this from Neon; locally the superuser makes it once.
 */
export async function ensureOwnerRole(superuserUrl: string, role: string, password: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const exists = await client.query("select 1 from pg_roles where rolname = $1", [role]);
    if (exists.rowCount === 0) {
      await client.query(`create role ${pg.escapeIdentifier(role)} login createrole password ${pg.escapeLiteral(password)}`);
    }
    await client.query(`alter database ${pg.escapeIdentifier(database)} owner to ${pg.escapeIdentifier(role)}`);
  } finally {
    await client.end();
  }
}
