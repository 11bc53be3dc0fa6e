import { and, lt, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { relayOutbox, requeueStalled } from "./relay.ts";
import { webhookDeliveries, webhookEvents } from "./schema.ts";
import { emitHourlyUsage } from "./usage-hourly.ts";

const RETENTION_MS = 30 * 24 * 3_600_000;

/** Cron: hourly usage events, then the outbox relay as a backstop, then stalled deliveries. */
export async function runWebhookJobs(env: Env, db: Database, now: Date) {
  const usageEvents = await emitHourlyUsage(db, now);
  const relayed = await relayOutbox(env, db);
  const requeued = await requeueStalled(env, db, now);
  return { usageEvents, ...relayed, requeued };
}

/** Finished deliveries and relayed events older than 30 days go (dedupe keys only need to outlive the lookback). */
export async function pruneWebhookLog(db: Database, now: Date): Promise<number> {
  const before = new Date(now.getTime() - RETENTION_MS);
  await db.delete(webhookDeliveries).where(and(ne(webhookDeliveries.status, "pending"), lt(webhookDeliveries.createdAt, before)));
  const events = await db
    .delete(webhookEvents)
    .where(
      and(
        lt(webhookEvents.createdAt, before),
        sql`${webhookEvents.relayedAt} is not null`,
        sql`not exists (select 1 from webhook_deliveries d where d.event_id = ${webhookEvents.id})`,
      ),
    )
    .returning({ id: webhookEvents.id });
  return events.length;
}
