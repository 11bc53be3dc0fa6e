import { planFeatures, type PlanId } from "../../core/plans.ts";
import { ensureTenantDataKey } from "../../secrets/data-keys.ts";
import { ensureDedicatedSchema } from "../../storage/dedicated-schema.ts";
import { tenantConfigs } from "../schema.ts";
import type { Step } from "./step-context.ts";

/**
 * The tenant's place in Postgres: its config row (both tiers), its data key (wrapped by the master
 * key, for secrets) and, when dedicated, its own schema and role.
 */
export const databaseStep: Step = async ({ env, services, tenant }) => {
  const dedicated = tenant.isolation === "dedicated";
  const names = dedicated ? await ensureDedicatedSchema(services.db, tenant.id) : undefined;
  const storageSchema = names?.schema ?? "public";
  // Plans without secrets get theirs lazily, on the first secret after an upgrade.
  if (planFeatures(tenant.plan).includes("secrets")) await ensureTenantDataKey(services.db, env, tenant.id);
  await services.db.insert(tenantConfigs).values({ tenantId: tenant.id, isolation: tenant.isolation, storageSchema }).onConflictDoNothing();
  return names ? { isolation: tenant.isolation, schema: names.schema, role: names.role } : { isolation: tenant.isolation, schema: storageSchema };
};
