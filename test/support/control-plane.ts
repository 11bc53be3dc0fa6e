// Helpers of the control-plane suites: direct looks into Postgres and Upstash, test hooks, waits.
import { Redis } from "@upstash/redis";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { admin, baseUrl, createTenant, eventually } from "./api.ts";

/** The JWT_SECRET global-setup gives the Worker. */
export const TEST_JWT_SECRET = "integration-tests-only-jwt-secret-0123456789";

let pool: pg.Pool | undefined;
let redis: Redis | undefined;

export function database(): pg.Pool {
  if (!pool) {
    pool = new pg.Pool({ connectionString: inject("databaseUrl"), max: 4 });
    afterAll(async () => {
      await pool?.end();
      pool = undefined;
    });
  }
  return pool;
}

export async function sql<T extends pg.QueryResultRow = any>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await database().query<T>(text, values)).rows;
}

export async function count(text: string, values: unknown[] = []): Promise<number> {
  const [row] = await sql<{ n: string }>(`select count(*)::text as n from (${text}) as counted`, values);
  return Number(row?.n ?? 0);
}

/** Rows of the shared map_records table as the tenant sees them (row-level security binds even the owner). */
export async function sharedMapRecordCount(tenantId: string): Promise<number> {
  const client = await database().connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'tenantry_app', true), set_config('app.tenant_id', $1, true)", [tenantId]);
    const result = await client.query<{ n: string }>("select count(*)::text as n from map_records where tenant_id = $1", [tenantId]);
    await client.query("commit");
    return Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export function upstash(): Redis {
  redis ??= new Redis({ url: inject("upstashUrl"), token: inject("upstashToken"), enableTelemetry: false });
  return redis;
}

export async function redisKeys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await upstash().scan(cursor, { match: pattern, count: 1000 });
    found.push(...keys);
    cursor = String(next);
  } while (cursor !== "0");
  return found.sort();
}

export const tenantRedisKeys = (tenantId: string) => redisKeys(`tenantry:tenant:${tenantId}*`);

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

export async function getTenant(id: string): Promise<any> {
  const response = await admin("GET", `/v1/tenants/${id}`);
  if (response.status !== 200) throw new Error(`GET tenant ${id}: ${response.status} ${response.text}`);
  return response.body;
}

export async function waitForStatus(id: string, status: string, timeoutMs = 25_000): Promise<any> {
  return eventually(async () => {
    const tenant = await getTenant(id);
    return tenant.status === status ? tenant : undefined;
  }, timeoutMs);
}

/** Waits until provisioning has nothing left to do (run succeeded or failed). */
export async function waitForRun(id: string, state: "succeeded" | "failed", timeoutMs = 25_000): Promise<any> {
  return eventually(async () => {
    const tenant = await getTenant(id);
    return tenant.provisioning.state === state ? tenant : undefined;
  }, timeoutMs);
}

export async function createActive(body: Record<string, unknown> = {}) {
  const created = await createTenant({ name: `t-${Math.random().toString(36).slice(2, 8)}`, plan: "pro", ...body });
  const tenant = await waitForStatus(created.tenant.id, "active");
  return { ...created, tenant };
}

export async function auditEvents(tenantId: string, action?: string): Promise<any[]> {
  const events: any[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "100" });
    if (action) query.set("action", action);
    if (cursor) query.set("cursor", cursor);
    const response = await admin("GET", `/v1/tenants/${tenantId}/audit?${query}`);
    if (response.status !== 200) throw new Error(`audit: ${response.status} ${response.text}`);
    events.push(...response.body.data);
    cursor = response.body.nextCursor;
  } while (cursor);
  return events;
}

export async function deliver(tenantId: string, times: number): Promise<void> {
  const response = await admin("POST", "/v1/_test/provisioning/deliver", { body: { tenantId, times } });
  if (response.status !== 202) throw new Error(`deliver: ${response.status} ${response.text}`);
}

/** The step fails the next `times` runs of the tenant with this id or name (a name can be armed before creation). */
export async function injectFault(target: { tenantId: string } | { tenantName: string }, step: string, times: number): Promise<void> {
  const response = await admin("PUT", "/v1/_test/provisioning/faults", { body: { ...target, step, times } });
  if (response.status !== 204) throw new Error(`fault: ${response.status} ${response.text}`);
}

/** Runs the Worker's cron handler now (Miniflare's trigger route, local stack only). */
export async function triggerScheduled(): Promise<void> {
  const response = await fetch(`${baseUrl()}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
  if (response.status !== 200) throw new Error(`scheduled handler: ${response.status} ${await response.text()}`);
  await response.text();
}

export const stepsByName = (tenant: any): Record<string, any> =>
  Object.fromEntries(tenant.provisioning.steps.map((step: any) => [step.name, step]));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
