// Direct Postgres access for the secrets suites: what an attacker with a database dump, or an
// operator with SQL, could see and do. Owner role (the URL the stack migrated with).
import pg from "pg";
import { asTenant } from "./postgres.ts";


export interface SecretRow {
  tenant_id: string;
  name: string;
  ciphertext: string;
  iv: string;
  key_version: number;
}

export async function secretRow(pool: pg.Pool, tenantId: string, name: string): Promise<SecretRow> {
  const rows = await asTenant(pool, tenantId, async (client) =>
    (await client.query<SecretRow>("select * from tenant_secrets where tenant_id = $1 and name = $2", [tenantId, name])).rows,
  );
  if (!rows[0]) throw new Error(`no secret ${name} for ${tenantId}`);
  return rows[0];
}

export async function writeSecretRow(pool: pg.Pool, row: SecretRow): Promise<void> {
  await asTenant(pool, row.tenant_id, (client) =>
    client.query(
      `insert into tenant_secrets (tenant_id, name, ciphertext, iv, key_version) values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, name) do update set ciphertext = excluded.ciphertext, iv = excluded.iv, key_version = excluded.key_version`,
      [row.tenant_id, row.name, row.ciphertext, row.iv, row.key_version],
    ),
  );
}

/**
 * Every row of every table in every non-system schema, as JSON text. Forced row-level security is
 * lifted inside the dump's transaction (rolled back), so the dump sees what the disk holds.
 */
export async function dumpEverything(pool: pg.Pool): Promise<{ text: string; tables: string[] }> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows: tables } = await client.query<{ schema: string; name: string; forced: boolean }>(
      `select n.nspname as schema, c.relname as name, c.relforcerowsecurity as forced
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
        order by 1, 2`,
    );
    const parts: string[] = [];
    for (const table of tables) {
      const qualified = `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
      if (table.forced) await client.query(`alter table ${qualified} no force row level security`);
      const { rows } = await client.query<{ row: string }>(`select row_to_json(t)::text as row from ${qualified} t`);
      for (const { row } of rows) parts.push(`${qualified} ${row}`);
    }
    return { text: parts.join("\n"), tables: tables.map((t) => `${t.schema}.${t.name}`) };
  } finally {
    await client.query("rollback").catch(() => {});
    client.release();
  }
}
