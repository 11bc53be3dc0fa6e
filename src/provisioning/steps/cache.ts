import { LIMIT_FIELDS } from "../../core/plans.ts";
import { tenantNamespace } from "../../cache/tenant-keys.ts";
import { contextFromRow } from "../../core/context-from-row.ts";
import type { Step } from "./step-context.ts";

export const namespaceKey = (tenantId: string) => `${tenantNamespace(tenantId)}:namespace`;
export const quotaKey = (tenantId: string) => `${tenantNamespace(tenantId)}:quota`;

/**
 * The tenant's namespace in Upstash: a marker (written once) and its quota keys (the effective
 * limits, rewritten whole on every run so a plan change replaces them).
 */
export const cacheStep: Step = async ({ services, tenant }) => {
  const context = contextFromRow(tenant);
  const quota: Record<string, string> = { configVersion: String(context.configVersion), plan: context.plan };
  for (const field of LIMIT_FIELDS) {
    const value = context.limits[field];
    quota[field] = value === null ? "unlimited" : String(value);
  }
  await Promise.all([
    services.redis.set(namespaceKey(tenant.id), JSON.stringify({ tenantId: tenant.id, createdAt: tenant.createdAt.toISOString() }), { nx: true }),
    services.redis.hset(quotaKey(tenant.id), quota),
  ]);
  return { namespace: tenantNamespace(tenant.id), keys: [namespaceKey(tenant.id), quotaKey(tenant.id)] };
};
