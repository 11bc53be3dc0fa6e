import { effectiveLimits, planFeatures } from "./plans.ts";
import type { TenantRow } from "./tenant.ts";
import type { TenantContext } from "./tenant-context.ts";

/** The data plane's view of a tenant, from its row: the one place this mapping is made. */
export function contextFromRow(row: TenantRow): TenantContext {
  const plan = row.plan;
  return {
    id: row.id,
    name: row.name,
    plan,
    status: row.status,
    isolation: row.isolation,
    region: row.region,
    limits: effectiveLimits(plan, row.overrides),
    features: planFeatures(plan),
    configVersion: row.configVersion,
    gateway: row.gateway ?? null,
    writesPaused: (row.migration as { state?: string } | null)?.state === "switching",
  };
}
