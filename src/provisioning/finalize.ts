import { and, eq, inArray, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Services } from "../services/open-services.ts";
import { publishTenantChange } from "../tenants/publish-change.ts";
import { tenants } from "../core/tenant-table.ts";
import type { TenantRow } from "../core/tenant.ts";
import { provisioningRuns } from "./schema.ts";
import { hasUnfinishedSteps, lockTenantAndRun } from "./step-store.ts";

export type FinalizeOutcome = "activated" | "finished" | "unchanged";

/**
 * Every step has succeeded: the run is done and a pending/provisioning tenant becomes `active`.
 * Locks the tenant's row and the run's, as the dead-letter handler does, so "failed" and "succeeded" cannot cross.
 * `tenant.provisioned` is recorded on the transition only, so a redelivery records nothing.
 */
export async function finalizeRun(env: Env, services: Services, tenantId: string): Promise<FinalizeOutcome> {
  const result = await services.db.transaction(async (tx) => {
    const run = await lockTenantAndRun(tx, tenantId);
    if (!run || run.state === "failed" || (await hasUnfinishedSteps(tx, tenantId))) return { outcome: "unchanged" as const };

    const finished = await tx
      .update(provisioningRuns)
      .set({ state: "succeeded", error: null, finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(provisioningRuns.tenantId, tenantId), inArray(provisioningRuns.state, ["queued", "running"])))
      .returning();
    const [activated] = await tx
      .update(tenants)
      .set({ status: "active", updatedAt: sql`now()`, configVersion: sql`${tenants.configVersion} + 1` })
      .where(and(eq(tenants.id, tenantId), inArray(tenants.status, ["pending", "provisioning"])))
      .returning();
    if (activated) {
      const startedAt = finished[0]?.startedAt ?? run.startedAt;
      await recordAudit(tx, {
        tenantId,
        actor: "system",
        action: "tenant.provisioned",
        details: {
          isolation: activated.isolation,
          attempts: finished[0]?.attempts ?? run.attempts,
          durationMs: startedAt ? Date.now() - startedAt.getTime() : null,
        },
      });
      return { outcome: "activated" as const, row: activated };
    }
    return { outcome: finished.length > 0 ? ("finished" as const) : ("unchanged" as const) };
  });
  if (result.outcome === "activated") await publishTenantChange(env, services, result.row as TenantRow);
  return result.outcome;
}
