import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { subscribes } from "./event-types.ts";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "./schema.ts";

export interface DeliveryMessage {
  deliveryId: string;
}

export const isDeliveryMessage = (body: unknown): body is DeliveryMessage =>
  typeof body === "object" && body !== null && typeof (body as DeliveryMessage).deliveryId === "string";

const RELAY_BATCH = 100;
const SEND_BATCH = 100;
/** Queues delay a message by at most 12 hours. */
const MAX_DELAY_SECONDS = 43_200;

/** One queue message per delivery attempt; `delayMs` rounds up to whole seconds. */
export async function enqueueDeliveries(env: Env, deliveryIds: string[], delayMs = 0): Promise<void> {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(Math.max(0, delayMs) / 1000));
  for (let start = 0; start < deliveryIds.length; start += SEND_BATCH) {
    const chunk = deliveryIds.slice(start, start + SEND_BATCH);
    await env.WEBHOOK_QUEUE.sendBatch(chunk.map((deliveryId) => ({ body: { deliveryId } satisfies DeliveryMessage, delaySeconds })));
  }
}

/**
 * Moves outbox rows to deliveries, one per subscribed endpoint, and marks them relayed, in one
 * transaction (rows another relay holds are skipped); then queues the new deliveries. A crash
 * between the commit and the send leaves pending deliveries that `requeueStalled` sends later.
 */
export async function relayOnce(env: Env, db: Database): Promise<{ events: number; deliveries: number }> {
  const relayed = await db.transaction(async (tx) => {
    const events = await tx
      .select({ id: webhookEvents.id, type: webhookEvents.type, endpointId: webhookEvents.endpointId })
      .from(webhookEvents)
      .where(isNull(webhookEvents.relayedAt))
      .orderBy(asc(webhookEvents.id))
      .limit(RELAY_BATCH)
      .for("update", { skipLocked: true });
    if (events.length === 0) return { events: 0, deliveryIds: [] as string[] };
    const endpoints = await tx
      .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.disabled, false));
    const rows = events.flatMap((event) =>
      endpoints
        .filter((endpoint) => (event.endpointId ? endpoint.id === event.endpointId : subscribes(endpoint.events, event.type)))
        .map((endpoint) => ({ id: newId("dlv"), endpointId: endpoint.id, eventId: event.id, type: event.type })),
    );
    const inserted = rows.length ? await tx.insert(webhookDeliveries).values(rows).onConflictDoNothing().returning({ id: webhookDeliveries.id }) : [];
    await tx
      .update(webhookEvents)
      .set({ relayedAt: sql`now()` })
      .where(inArray(webhookEvents.id, events.map((event) => event.id)));
    return { events: events.length, deliveryIds: inserted.map((row) => row.id).sort() };
  });
  await enqueueDeliveries(env, relayed.deliveryIds);
  return { events: relayed.events, deliveries: relayed.deliveryIds.length };
}

/** Relays until the outbox is empty (bounded). */
export async function relayOutbox(env: Env, db: Database, maxRounds = 10): Promise<{ events: number; deliveries: number }> {
  const total = { events: 0, deliveries: 0 };
  for (let round = 0; round < maxRounds; round++) {
    const batch = await relayOnce(env, db);
    total.events += batch.events;
    total.deliveries += batch.deliveries;
    if (batch.events < RELAY_BATCH) break;
  }
  return total;
}

/**
 * The backstop (cron): pending deliveries due for a while with no consumer holding them lost
 * their message (a crash after the relay's commit, or a consumer that died mid-attempt). Sends
 * them again; the consumer's claim makes a duplicate message harmless.
 */
export async function requeueStalled(env: Env, db: Database, now: Date, staleMs = 60_000): Promise<number> {
  const stale = new Date(now.getTime() - staleMs);
  const rows = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lt(webhookDeliveries.nextAttemptAt, stale),
        or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, now)),
      ),
    )
    .limit(500);
  await enqueueDeliveries(
    env,
    rows.map((row) => row.id),
  );
  return rows.length;
}
