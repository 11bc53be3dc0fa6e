import { and, eq, inArray, lt, notInArray, sql } from "drizzle-orm";
import type { Services } from "../services/open-services.ts";
import { enqueueProvisioning } from "../provisioning/enqueue.ts";
import { provisioningRuns } from "../provisioning/schema.ts";
import { tenants } from "../core/tenant-table.ts";

/**
 * Longer than a step's lease (so a re-sent message can claim a step whose runner died) and than
 * the longest retry backoff (so the sweep never cuts a backoff short).
 */
export const STALLED_AFTER_MS = 10 * 60 * 1000;
const BATCH = 100;

/**
 * Runs that should be moving (queued or running) but have shown no progress for a while get their
 * message sent again: a lost queue send or a consumer that died delays a tenant, never strands it.
 * Each run is claimed by bumping its progress time (a conditional update), so overlapping sweeps send once.
 */
export async function sweepStalledProvisioning(env: Env, services: Services, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - STALLED_AFTER_MS);
  const stalled = await services.db
    .select({ tenantId: provisioningRuns.tenantId })
    .from(provisioningRuns)
    .innerJoin(tenants, eq(tenants.id, provisioningRuns.tenantId))
    .where(and(inArray(provisioningRuns.state, ["queued", "running"]), lt(provisioningRuns.updatedAt, cutoff), notInArray(tenants.status, ["deleted", "failed"])))
    .limit(BATCH);
  let sent = 0;
  for (const run of stalled) {
    const claimed = await services.db
      .update(provisioningRuns)
      .set({ updatedAt: sql`now()` })
      .where(
        and(
          eq(provisioningRuns.tenantId, run.tenantId),
          inArray(provisioningRuns.state, ["queued", "running"]),
          lt(provisioningRuns.updatedAt, cutoff),
        ),
      )
      .returning({ tenantId: provisioningRuns.tenantId });
    if (claimed.length === 0) continue;
    await enqueueProvisioning(env, { kind: "provision", tenantId: run.tenantId, reason: "sweep" });
    sent++;
  }
  return sent;
}
