import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { logEvent } from "../lib/log.ts";
import { postEvent, type AttemptResult } from "./attempt.ts";
import { enqueueDeliveries } from "./relay.ts";
import { webhookDeliveries, webhookDeliveryTotals, webhookEndpoints, webhookEvents } from "./schema.ts";
import { openSecret } from "./secrets.ts";
import { webhookSettings, type WebhookSettings } from "./settings.ts";

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** Audit entries need a subject: endpoints belong to the platform, not to a tenant. */
export const PLATFORM_AUDIT_SUBJECT = "platform";

export type DeliveryOutcome = "delivered" | "retrying" | "failed" | "not_due" | "skipped";

/** A message arriving this early (rounding of queue delays) still counts as due. */
const EARLY_TOLERANCE_MS = 1000;
/** A claim outlives the attempt's deadline by this much; a consumer that died lets it lapse. */
const CLAIM_MARGIN_MS = 10_000;

/** Takes the delivery for one attempt, unless it is not pending, not due, or held by another consumer. */
async function claim(db: Database, deliveryId: string, settings: WebhookSettings): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ claimedUntil: sql`now() + make_interval(secs => ${(settings.timeoutMs + CLAIM_MARGIN_MS) / 1000})` })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, "pending"),
        sql`${webhookDeliveries.nextAttemptAt} <= now() + make_interval(secs => ${EARLY_TOLERANCE_MS / 1000})`,
        sql`(${webhookDeliveries.claimedUntil} is null or ${webhookDeliveries.claimedUntil} < now())`,
      ),
    )
    .returning();
  return row;
}

async function secretsOf(env: Env, endpoint: EndpointRow, now: number): Promise<string[]> {
  const secrets = [await openSecret(env, endpoint.id, endpoint.secretBox)];
  if (endpoint.previousSecretBox && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > now) {
    secrets.push(await openSecret(env, endpoint.id, endpoint.previousSecretBox));
  }
  return secrets;
}

async function finish(db: Database, deliveryId: string, values: Partial<DeliveryRow>): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ ...values, claimedUntil: null })
    .where(eq(webhookDeliveries.id, deliveryId));
}

/**
 * Failed attempts keep the endpoint's `failingSince`; once that is older than the disable window
 * the endpoint is disabled (once: the update is conditional) and the change audited.
 */
async function noteFailure(db: Database, endpointId: string, settings: WebhookSettings, now: number): Promise<void> {
  const [endpoint] = await db
    .update(webhookEndpoints)
    .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())` })
    .where(eq(webhookEndpoints.id, endpointId))
    .returning({ failingSince: webhookEndpoints.failingSince, disabled: webhookEndpoints.disabled });
  if (!endpoint?.failingSince || endpoint.disabled || now - endpoint.failingSince.getTime() < settings.disableAfterMs) return;
  await db.transaction(async (tx) => {
    const reason = `Every delivery failed since ${endpoint.failingSince!.toISOString()}`;
    const [disabled] = await tx
      .update(webhookEndpoints)
      .set({ disabled: true, disabledReason: reason, updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.disabled, false)))
      .returning({ url: webhookEndpoints.url });
    if (!disabled) return;
    await recordAudit(tx, { tenantId: PLATFORM_AUDIT_SUBJECT, actor: "system", action: "webhook.disabled", details: { endpointId, url: disabled.url, reason } });
    logEvent("warn", "webhook endpoint disabled", { endpointId, reason });
  });
}

async function noteSuccess(db: Database, endpointId: string): Promise<void> {
  await db
    .update(webhookEndpoints)
    .set({ failingSince: null })
    .where(and(eq(webhookEndpoints.id, endpointId), sql`${webhookEndpoints.failingSince} is not null`));
}

/** After attempt `attempt` failed: the next delay, or undefined when the schedule is used up. */
export function nextDelayMs(settings: WebhookSettings, attempt: number): number | undefined {
  return settings.retryScheduleMs[attempt - 1];
}

/** Counts one attempt's result for `tenantry_webhook_deliveries_total`. */
async function countAttempt(db: Database, result: "delivered" | "retried" | "failed"): Promise<void> {
  await db
    .insert(webhookDeliveryTotals)
    .values({ result, count: 1 })
    .onConflictDoUpdate({ target: webhookDeliveryTotals.result, set: { count: sql`${webhookDeliveryTotals.count} + 1` } });
}

async function record(env: Env, db: Database, row: DeliveryRow, result: AttemptResult, settings: WebhookSettings, now: number): Promise<DeliveryOutcome> {
  const attempt = row.attempt + 1;
  const common = { attempt, responseStatus: result.responseStatus, error: result.error, lastAttemptAt: new Date(now) };
  if (result.ok) {
    await finish(db, row.id, { ...common, status: "delivered" });
    await noteSuccess(db, row.endpointId);
    await countAttempt(db, "delivered");
    return "delivered";
  }
  const delayMs = nextDelayMs(settings, attempt);
  if (delayMs === undefined) await finish(db, row.id, { ...common, status: "failed" });
  else await finish(db, row.id, { ...common, status: "pending", nextAttemptAt: new Date(now + delayMs) });
  await noteFailure(db, row.endpointId, settings, now);
  await countAttempt(db, delayMs === undefined ? "failed" : "retried");
  if (delayMs === undefined) return "failed";
  await enqueueDeliveries(env, [row.id], delayMs);
  return "retrying";
}

/**
 * Handles one queue message for one delivery: claim, POST, record, and (on failure) queue the
 * next attempt after the schedule's delay. Idempotent: a duplicate or early message does nothing
 * but (for an early one) come back when the attempt is due.
 */
export async function deliver(env: Env, db: Database, deliveryId: string): Promise<DeliveryOutcome> {
  const settings = webhookSettings(env);
  const row = await claim(db, deliveryId, settings);
  if (!row) {
    const [current] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    if (current?.status === "pending" && current.nextAttemptAt.getTime() > Date.now() + EARLY_TOLERANCE_MS) {
      await enqueueDeliveries(env, [deliveryId], current.nextAttemptAt.getTime() - Date.now());
      return "not_due";
    }
    return "skipped";
  }
  const [target] = await db
    .select({ endpoint: webhookEndpoints, body: webhookEvents.body })
    .from(webhookEndpoints)
    .innerJoin(webhookEvents, eq(webhookEvents.id, row.eventId))
    .where(eq(webhookEndpoints.id, row.endpointId));
  if (!target || target.endpoint.disabled) {
    await finish(db, row.id, { status: "failed", error: "The endpoint is disabled." });
    return "failed";
  }
  const now = Date.now();
  const secrets = await secretsOf(env, target.endpoint, now);
  const result = await postEvent(target.endpoint.url, row.eventId, target.body, secrets, settings.timeoutMs, now);
  return record(env, db, row, result, settings, Date.now());
}

/** The dead-letter queue: a delivery whose consumer kept failing is given up on. */
export async function abandonDelivery(db: Database, deliveryId: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ status: "failed", error: "Delivery abandoned: its queue message was dead-lettered.", claimedUntil: null })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "pending")));
}
