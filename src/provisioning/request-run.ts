import { and, eq, inArray, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { tenants } from "../core/tenant-table.ts";
import type { TenantRow } from "../core/tenant.ts";
import { provisioningRuns } from "./schema.ts";
import { ensureStepRows, hasUnfinishedSteps } from "./step-store.ts";

export interface RunRequest {
  row: TenantRow;
  /** Whether a message must go on the queue (something is left to do). */
  enqueue: boolean;
  /** Whether the tenant itself changed (failed → provisioning), so caches must hear of it. */
  tenantChanged: boolean;
}

/**
 * POST /provision: resume from the first unfinished step. Serialised per tenant by the row lock, so
 * of concurrent calls only the first changes state (and is audited); the rest find nothing to change.
 */
export async function requestProvisioningRun(db: Database, tenantId: string): Promise<RunRequest> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for("update");
    if (!row) throw new ApiError("not_found", "No such tenant.");
    if (row.status === "deleted") throw new ApiError("conflict", "The tenant is deleted; it cannot be provisioned.");

    await ensureStepRows(tx, tenantId);
    await tx.insert(provisioningRuns).values({ tenantId, state: "queued" }).onConflictDoNothing();
    const unfinished = await hasUnfinishedSteps(tx, tenantId);
    const notReady = row.status === "pending" || row.status === "provisioning" || row.status === "failed";
    if (!unfinished && !notReady) return { row, enqueue: false, tenantChanged: false };

    const requeued = await tx
      .update(provisioningRuns)
      .set({ state: "queued", error: null, finishedAt: null, updatedAt: sql`now()` })
      .where(and(eq(provisioningRuns.tenantId, tenantId), inArray(provisioningRuns.state, ["failed", "succeeded"])))
      .returning({ tenantId: provisioningRuns.tenantId });
    const [resumed] = await tx
      .update(tenants)
      .set({ status: "provisioning", updatedAt: sql`now()`, configVersion: sql`${tenants.configVersion} + 1` })
      .where(and(eq(tenants.id, tenantId), eq(tenants.status, "failed")))
      .returning();
    if (resumed || requeued.length > 0) {
      await recordAudit(tx, {
        tenantId,
        actor: "admin",
        action: "tenant.provisioning_retried",
        details: { from: row.status, to: resumed?.status ?? row.status },
      });
    }
    return { row: resumed ?? row, enqueue: true, tenantChanged: Boolean(resumed) };
  });
}
