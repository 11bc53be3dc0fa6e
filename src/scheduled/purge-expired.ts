import { and, asc, eq, lte } from "drizzle-orm";
import type { Services } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { purgeTenant } from "../tenants/purge-tenant.ts";
import { tenants } from "../core/tenant-table.ts";

const BATCH = 25;

/** Deleted tenants whose retention has run out are purged, a bounded batch per run; failures wait for the next run. */
export async function purgeExpiredTenants(env: Env, services: Services, now: Date): Promise<{ purged: number; failed: number }> {
  const due = await services.db
    .select({ id: tenants.id })
    .from(tenants)
    .where(and(eq(tenants.status, "deleted"), lte(tenants.purgeAfter, now)))
    .orderBy(asc(tenants.purgeAfter))
    .limit(BATCH);
  let purged = 0;
  let failed = 0;
  for (const { id } of due) {
    try {
      if (await purgeTenant(env, services, id)) purged++;
    } catch (error) {
      failed++;
      logEvent("error", "scheduled purge failed; next run retries", { tenantId: id, error: errorMessage(error) });
    }
  }
  return { purged, failed };
}
