import { and, eq, inArray, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Services } from "../services/open-services.ts";
import { publishTenantChange } from "../tenants/publish-change.ts";
import { tenants } from "../core/tenant-table.ts";
import { provisioningRuns } from "./schema.ts";
import { hasUnfinishedSteps, lockTenantAndRun } from "./step-store.ts";

/**
 * A provisioning message used up its retries: the run is `failed` with the last step error as the
 * reason, and a pending/provisioning tenant becomes `failed` (POST /provision resumes it). A run that
 * finished meanwhile (an operator's retry won the race) is left alone.
 */
export async function markProvisioningFailed(env: Env, services: Services, tenantId: string): Promise<void> {
  const failedTenant = await services.db.transaction(async (tx) => {
    const run = await lockTenantAndRun(tx, tenantId);
    if (!run || run.state === "failed" || run.state === "succeeded" || !(await hasUnfinishedSteps(tx, tenantId))) return undefined;

    const reason = `Retries exhausted after ${run.attempts} attempts. Last error: ${run.error ?? "unknown"}`;
    await tx
      .update(provisioningRuns)
      .set({ state: "failed", error: reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(provisioningRuns.tenantId, tenantId));
    const [tenant] = await tx
      .update(tenants)
      .set({ status: "failed", updatedAt: sql`now()`, configVersion: sql`${tenants.configVersion} + 1` })
      .where(and(eq(tenants.id, tenantId), inArray(tenants.status, ["pending", "provisioning"])))
      .returning();
    await recordAudit(tx, { tenantId, actor: "system", action: "tenant.provisioning_failed", details: { reason, tenantFailed: Boolean(tenant) } });
    return tenant;
  });
  if (failedTenant) await publishTenantChange(env, services, failedTenant);
}
