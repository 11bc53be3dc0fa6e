import { eq } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { subscribes, type EventType } from "./event-types.ts";
import { webhookEndpoints, webhookEvents } from "./schema.ts";

type Queryable = Database | Transaction;

export interface OutboxEvent {
  type: EventType;
  tenantId?: string | null;
  data: Record<string, unknown>;
  /** At most one event per key, ever (a second write is a no-op). */
  dedupeKey?: string;
  /** Sent to this endpoint only (webhook.test). */
  endpointId?: string;
}

/** The body every attempt of the event sends, byte for byte. */
export function eventBody(id: string, type: string, timestamp: Date, data: unknown): string {
  return JSON.stringify({ id, type, timestamp: timestamp.toISOString(), data });
}

/**
 * Which types some enabled endpoint wants. Events nobody subscribes to are not written, so a
 * platform without webhooks pays one small query per audited change and nothing more.
 */
export async function subscribedTypes(db: Queryable): Promise<(type: string) => boolean> {
  const rows = await db.select({ events: webhookEndpoints.events }).from(webhookEndpoints).where(eq(webhookEndpoints.disabled, false));
  return (type) => rows.some((row) => subscribes(row.events, type));
}

/**
 * Writes events to the outbox. Called inside the transaction of the change that causes them, so
 * a rolled-back change leaves no event and a committed one leaves its event for the relay.
 * Returns the ids written (an event whose dedupe key exists already is skipped).
 */
export async function writeEvents(db: Queryable, events: OutboxEvent[], now = new Date()): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map(() => newId("msg", now.getTime())).sort();
  const rows = events.map((event, index) => ({
    id: ids[index]!,
    type: event.type,
    tenantId: event.tenantId ?? null,
    body: eventBody(ids[index]!, event.type, now, event.data),
    dedupeKey: event.dedupeKey ?? null,
    endpointId: event.endpointId ?? null,
    createdAt: now,
  }));
  const written = await db
    .insert(webhookEvents)
    .values(rows)
    .onConflictDoNothing({ target: webhookEvents.dedupeKey })
    .returning({ id: webhookEvents.id });
  return written.map((row) => row.id);
}
