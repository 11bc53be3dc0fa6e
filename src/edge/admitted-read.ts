import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import type { TenantContext } from "../core/tenant-context.ts";

/**
 * Map reads do not wait for the runtime object's admission before they go to the database: both
 * round trips are in flight at once, and the read's answer is discarded if admission refuses
 * (src/edge/pipeline.ts). A read changes nothing, so running it first costs the caller nothing
 * but the database a query. Writes, and reads with side effects elsewhere, wait for admission.
 */
export function overlapsAdmission(method: string, path: string): boolean {
  return (method === "GET" || method === "HEAD") && (path === "/v1/maps" || path.startsWith("/v1/maps/"));
}

/**
 * Runs `read` with the edge's cached tenant context beside the admission under way. If the runtime
 * object admits a context whose data lives elsewhere (an isolation migration switched over after
 * this isolate cached the tenant), the read runs again where the data now is.
 */
export async function readBesideAdmission<T>(c: Context<AppEnv>, read: (tenant: TenantContext) => Promise<T>): Promise<T> {
  const tenant = c.get("tenant");
  const admitted = c.get("admittedTenant");
  if (!admitted) return read(tenant);
  // Settled, not thrown at once: a read of the old place can fail (its schema dropped) where the new one succeeds.
  const [outcome, context] = await Promise.all([read(tenant).then((value) => ({ value }), (error: unknown) => ({ error })), admitted]);
  if (context && context.isolation !== tenant.isolation) return read(context);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
