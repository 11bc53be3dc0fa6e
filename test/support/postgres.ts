// Direct Postgres access for tests: what an operator with SQL (or an attacker with a dump) sees.
// Owner role, the URL the stack migrated with; row-level security still binds inside `asTenant`.
import pg from "pg";
import { afterAll, inject } from "vitest";

let shared: pg.Pool | undefined;

/** A pool of the suite's own, ended after the file's tests. */
export function database(): pg.Pool {
  if (!shared) {
    shared = new pg.Pool({ connectionString: inject("databaseUrl"), max: 4 });
    afterAll(async () => {
      await shared?.end();
      shared = undefined;
    });
  }
  return shared;
}

/** A new pool the caller ends (suites that hold one for their whole run). */
export function ownerPool(): pg.Pool {
  return new pg.Pool({ connectionString: inject("databaseUrl"), max: 3 });
}

export async function sql<T extends pg.QueryResultRow = any>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await database().query<T>(text, values)).rows;
}

export async function count(text: string, values: unknown[] = []): Promise<number> {
  const [row] = await sql<{ n: string }>(`select count(*)::text as n from (${text}) as counted`, values);
  return Number(row?.n ?? 0);
}

/** Runs `work` inside the tenant's row-level-security scope, the way the Worker does. */
export async function asTenant<T>(pool: pg.Pool, tenantId: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'tenantry_app', true), set_config('app.tenant_id', $1, true)", [tenantId]);
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Rows of the shared map_records table as the tenant sees them (row-level security binds even the owner). */
export async function sharedMapRecordCount(tenantId: string): Promise<number> {
  return asTenant(database(), tenantId, async (client) => {
    const result = await client.query<{ n: string }>("select count(*)::text as n from map_records where tenant_id = $1", [tenantId]);
    return Number(result.rows[0]?.n ?? 0);
  });
}

/** One connection of its own for `work`, closed after it. */
export async function withOwner<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `work` in a transaction that is always rolled back: nothing it does outlives it. */
export function inRolledBackTransaction<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withOwner(async (client) => {
    await client.query("begin");
    try {
      return await work(client);
    } finally {
      await client.query("rollback");
    }
  });
}

/** Dedicated schema and role names, as src/storage/dedicated-names.ts derives them. */
export function dedicatedNames(tenantId: string) {
  const suffix = tenantId.slice("ten_".length);
  return { schema: `t_${suffix}`, role: `t_${suffix}_rw` };
}

export async function schemaCount(tenantId: string): Promise<number> {
  return count("select 1 from pg_namespace where nspname = $1", [dedicatedNames(tenantId).schema]);
}

export async function roleCount(tenantId: string): Promise<number> {
  return count("select 1 from pg_roles where rolname = $1", [dedicatedNames(tenantId).role]);
}
