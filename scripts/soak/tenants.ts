// The soak's tenants: created through POST /v1/tenants (the only way in; no bulk route exists),
// many at a time, then awaited together through the tenant list rather than one GET each.
import { mapLimit, request } from "./client.ts";

export interface SoakTenant {
  id: string;
  key: string;
  /** A second key, made and revoked during the run (key revocation). */
  extraKey?: { id: string; key: string; revokedAt?: number };
  plan: "pro" | "enterprise";
  /** When a tenant created during the run was accepted (ms since the epoch). */
  createdAt?: number;
}

/** Limits no soak load reaches: refusals here would only hide what the faults do. */
export const SOAK_OVERRIDES = { requestsPerSecond: 100_000, burst: 100_000, requestsPerDay: null, maxConcurrentRequests: 200 };

export async function createTenant(baseUrl: string, adminToken: string, name: string, origin: string): Promise<SoakTenant> {
  const body = { name, plan: "pro", overrides: SOAK_OVERRIDES, gateway: { origin, timeoutMs: 5000 } };
  for (let attempt = 1; ; attempt++) {
    const reply = await request(baseUrl, "POST", "/v1/tenants", { token: adminToken, body, headers: { "Idempotency-Key": `soak-${name}` } });
    if (reply.status === 202) return { id: reply.body.tenant.id, key: reply.body.apiKey.key, plan: "pro" };
    // Idempotency-Key makes a retry after a lost answer safe; a refused create is retried a few times.
    if (attempt >= 5 || (reply.status !== null && reply.status < 500)) throw new Error(`POST /v1/tenants: ${reply.status} ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
}

/** Ids of tenants whose status is `status` (all pages). */
export async function tenantIdsWithStatus(baseUrl: string, adminToken: string, status: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const query = new URLSearchParams({ status, limit: "100", ...(cursor ? { cursor } : {}) });
    const reply = await request(baseUrl, "GET", `/v1/tenants?${query}`, { token: adminToken });
    if (reply.status !== 200) throw new Error(`GET /v1/tenants: ${reply.status} ${JSON.stringify(reply.body)}`);
    ids.push(...reply.body.data.map((tenant: { id: string }) => tenant.id));
    cursor = reply.body.nextCursor;
    if (!cursor) break;
  }
  return ids;
}

/** Waits until none of `ids` is pending or provisioning; returns those not active (failed) and still waiting. */
export async function waitAllActive(baseUrl: string, adminToken: string, ids: string[], timeoutMs: number): Promise<{ notActive: string[] }> {
  const wanted = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = new Set(await tenantIdsWithStatus(baseUrl, adminToken, "active"));
    const notActive = [...wanted].filter((id) => !active.has(id));
    if (notActive.length === 0 || Date.now() > deadline) return { notActive };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function createTenants(
  baseUrl: string,
  adminToken: string,
  count: number,
  origin: string,
  log: (line: string) => void,
): Promise<SoakTenant[]> {
  const started = Date.now();
  const run = started.toString(36);
  const tenants = await mapLimit(Array.from({ length: count }, (_, i) => i), 16, (i) => createTenant(baseUrl, adminToken, `soak-${run}-${i}`, origin));
  log(`  ${count} tenants accepted in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for provisioning`);
  const { notActive } = await waitAllActive(baseUrl, adminToken, tenants.map((tenant) => tenant.id), 240_000);
  if (notActive.length > 0) throw new Error(`${notActive.length} of ${count} tenants not active after setup, e.g. ${notActive.slice(0, 3).join(", ")}`);
  log(`  ${count} tenants active in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return tenants;
}
