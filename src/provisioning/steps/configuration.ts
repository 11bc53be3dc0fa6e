import { eq, sql } from "drizzle-orm";
import { contextFromRow } from "../../core/context-from-row.ts";
import { tenantConfigs } from "../schema.ts";
import type { Step } from "./step-context.ts";

/** Effective configuration = platform defaults ← plan ← overrides, recorded on the tenant's config row. */
export const configurationStep: Step = async ({ services, tenant }) => {
  const context = contextFromRow(tenant);
  const updated = await services.db
    .update(tenantConfigs)
    .set({
      plan: context.plan,
      limits: { ...context.limits },
      features: context.features,
      configVersion: context.configVersion,
      updatedAt: sql`now()`,
    })
    .where(eq(tenantConfigs.tenantId, tenant.id))
    .returning({ tenantId: tenantConfigs.tenantId });
  if (updated.length === 0) throw new Error("the tenant's config row is missing (the database step has not run)");
  return { plan: context.plan, limits: context.limits, features: context.features, configVersion: context.configVersion };
};
