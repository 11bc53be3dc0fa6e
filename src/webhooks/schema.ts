import { bigint, boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

/** Where events go. Platform-wide (admin), not per tenant. Secrets are sealed under the MASTER_KEY. */
export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  /** Event types, or ["*"] for all of them. */
  events: text("events").array().notNull(),
  description: text("description"),
  disabled: boolean("disabled").notNull().default(false),
  /** Why it was disabled by the platform (null when an operator disabled it or it is enabled). */
  disabledReason: text("disabled_reason"),
  /** Sealed `whsec_…` (sealed-box, purpose "webhook-secret", context = endpoint id). */
  secretBox: text("secret_box").notNull(),
  /** After a rotation, the old secret also signs until `previousSecretExpiresAt`. */
  previousSecretBox: text("previous_secret_box"),
  previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true, mode: "date" }),
  /** The master key both boxes are sealed under (`mk_…`): a master-key rotation re-seals the others. */
  secretKeyId: text("secret_key_id").notNull(),
  /** First failed attempt since the last delivered one; null while deliveries succeed. */
  failingSince: timestamp("failing_since", { withTimezone: true, mode: "date" }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * The outbox: one row per event, written in the transaction of the change that causes it. The
 * relay fans each row out to the endpoints subscribed to its type and marks it relayed.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    /** `msg_…`: the body's `id` and the `webhook-id` header. */
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    tenantId: text("tenant_id"),
    /** The exact JSON body every attempt sends (and signs). */
    body: text("body").notNull(),
    /** Events that must exist once (quota.exhausted per tenant-day, usage.hourly per tenant-hour). */
    dedupeKey: text("dedupe_key").unique(),
    /** Only this endpoint gets it (webhook.test). */
    endpointId: text("endpoint_id"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    relayedAt: timestamp("relayed_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("webhook_events_unrelayed_idx").on(t.id).where(sql`${t.relayedAt} is null`), index("webhook_events_created_idx").on(t.createdAt)],
);

/** One event to one endpoint: its attempts so far and where it stands. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    status: text("status").notNull().default("pending"),
    attempt: integer("attempt").notNull().default(0),
    responseStatus: integer("response_status"),
    error: text("error"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** A consumer is attempting it until then; a crashed one's claim lapses. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "date" }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_idx").on(t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_pending_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

/** Delivery attempts by result (`delivered`, `retried`, `failed`): never decreases, unlike the pruned log. */
export const webhookDeliveryTotals = pgTable("webhook_delivery_totals", {
  result: text("result").primaryKey(),
  count: bigint("count", { mode: "number" }).notNull().default(0),
});
