import { effectiveLimits, planFeatures } from "./plans.ts";
import type { TenantRow } from "./tenant.ts";
import type { TenantContext } from "./tenant-context.ts";

const MIGRATING = new Set(["running", "switching"]);
const migrationState = (row: TenantRow) => (row.migration as { state?: string } | null)?.state;

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
    writesPaused: migrationState(row) === "switching",
    migrating: MIGRATING.has(migrationState(row) ?? ""),
  };
}
