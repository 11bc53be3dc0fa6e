import type { Database } from "../db/client.ts";
import { mapStore } from "../storage/maps/store.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import { billingExportLag, provisioningTimes, requestsToday, tenantCounts, usageByPlan } from "./database-figures.ts";
import type { MetricFamily } from "./exposition.ts";
import { metricFamilies, PLATFORM_LABELS, quotaFamily } from "./families.ts";
import { platformRuntimeFigures, tenantRuntimeFigures } from "./runtime-snapshots.ts";
import { webhookDeliveryCounts } from "./webhook-deliveries.ts";

/** `/metrics`: platform series only. */
export async function platformMetrics(env: Env, db: Database): Promise<MetricFamily[]> {
  const now = new Date();
  const [tenants, usage, runtime, provisioning, webhookDeliveries, billingExportLagSeconds] = await Promise.all([
    tenantCounts(db),
    usageByPlan(db),
    platformRuntimeFigures(env, db),
    provisioningTimes(db),
    webhookDeliveryCounts(db),
    billingExportLag(db, now),
  ]);
  return metricFamilies({ tenants, usageByPlan: usage, runtime, provisioning, webhookDeliveries, billingExportLagSeconds, ...PLATFORM_LABELS });
}

/** The same families for one tenant, plus how much of each limit it uses. */
export async function tenantMetrics(env: Env, db: Database, tenant: TenantContext, migrating: boolean): Promise<MetricFamily[]> {
  const now = new Date();
  const [tenants, usage, runtime, provisioning, webhookDeliveries, billingExportLagSeconds, today, storage] = await Promise.all([
    tenantCounts(db, tenant.id),
    usageByPlan(db, tenant.id),
    tenantRuntimeFigures(env, tenant, migrating),
    provisioningTimes(db, tenant.id),
    // Webhook endpoints are the operator's, not a tenant's: no delivery belongs to one tenant.
    { delivered: 0, retried: 0, failed: 0 },
    billingExportLag(db, now, tenant.id),
    requestsToday(db, tenant.id, now),
    // Storage is readable once provisioning made it; before that the tenant uses none.
    tenant.status === "active" || tenant.status === "suspended" ? mapStore(() => db, tenant).storage().catch(() => ({ maps: 0, bytes: 0 })) : { maps: 0, bytes: 0 },
  ]);
  const families = metricFamilies({
    tenants,
    usageByPlan: usage,
    runtime,
    provisioning,
    webhookDeliveries,
    billingExportLagSeconds,
    plans: [tenant.plan],
    statuses: [tenant.status],
  });
  families.push(
    quotaFamily([
      { limit: "requestsPerDay", used: today, of: tenant.limits.requestsPerDay },
      { limit: "maxStorageBytes", used: storage.bytes, of: tenant.limits.maxStorageBytes },
      { limit: "maxMaps", used: storage.maps, of: tenant.limits.maxMaps },
      { limit: "maxConnections", used: runtime.connections, of: tenant.limits.maxConnections },
    ]),
  );
  return families;
}
