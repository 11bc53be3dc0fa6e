import { lt } from "drizzle-orm";
import { runScheduledExport } from "../billing/scheduled-export.ts";
import type { Services } from "../services/open-services.ts";
import { openServices } from "../services/open-services.ts";
import { runAutoPromotion } from "../isolation/auto-promotion.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { purgeExpiredPortalRows } from "../portal/links.ts";
import { idempotencyKeys } from "../tenants/idempotency-schema.ts";
import { purgeExpiredTenants } from "./purge-expired.ts";
import { sweepStalledProvisioning } from "./sweep-provisioning.ts";
import { pruneWebhookLog, runWebhookJobs } from "../webhooks/jobs.ts";

async function job(name: string, now: Date, work: () => Promise<unknown>): Promise<void> {
  try {
    const result = await work();
    logEvent("info", "scheduled job done", { job: name, now: now.toISOString(), result });
  } catch (error) {
    logEvent("error", "scheduled job failed", { job: name, error: errorMessage(error) });
  }
}

async function expireIdempotencyKeys(services: Services, now: Date): Promise<number> {
  const expired = await services.db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).returning({ key: idempotencyKeys.key });
  return expired.length;
}

/** Cron: retention purges, provisioning sweeps, expired idempotency records and portal links, automatic promotion, the Stripe meter export, webhooks. Each job is idempotent and bounded. */
export async function runScheduledJobs(env: Env, now: Date): Promise<void> {
  const scope = openServices(env);
  try {
    await job("purge-expired-tenants", now, () => purgeExpiredTenants(env, scope.services, now));
    await job("sweep-stalled-provisioning", now, () => sweepStalledProvisioning(env, scope.services, now));
    await job("expire-idempotency-keys", now, () => expireIdempotencyKeys(scope.services, now));
    await job("auto-promotion", now, () => runAutoPromotion(env, scope.services, now));
    await job("purge-expired-portal-links", now, () => purgeExpiredPortalRows(scope.services.db, now));
    await job("stripe-meter-export", now, () => runScheduledExport(env, scope.services.db, now));
    // Last: the jobs above may have written events (tenant.purged, tenant.promotion_recommended).
    await job("webhooks", now, () => runWebhookJobs(env, scope.services.db, now));
    await job("prune-webhook-log", now, () => pruneWebhookLog(scope.services.db, now));
  } finally {
    await scope.close();
  }
}
