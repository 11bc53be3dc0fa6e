import { effectiveLimits, planFeatures, type Isolation, type LimitOverrides, type PlanId } from "../plans/catalog.ts";
import type { TenantStatus } from "../tenants/api-schemas.ts";
import type { TenantRow } from "../tenants/view.ts";
import type { TenantContext } from "./context.ts";

/** The data plane's view of a tenant, from its row: the one place this mapping is made. */
export function contextFromRow(row: TenantRow): TenantContext {
  const plan = row.plan as PlanId;
  return {
    id: row.id,
    name: row.name,
    plan,
    status: row.status as TenantStatus,
    isolation: row.isolation as Isolation,
    region: row.region,
    limits: effectiveLimits(plan, row.overrides as LimitOverrides),
    features: planFeatures(plan),
    configVersion: row.configVersion,
    gateway: row.gateway ?? null,
    writesPaused: (row.migration as { state?: string } | null)?.state === "switching",
  };
}
