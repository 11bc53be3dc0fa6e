import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export type ExportStatus = "pending" | "sent" | "partial" | "failed";
export type EventStatus = "pending" | "sent" | "failed";

/** One row per closed UTC hour the Stripe export ran for; its status sums up the hour's events. */
export const billingExportHours = pgTable("billing_export_hours", {
  hour: timestamp("hour", { withTimezone: true, mode: "date" }).primaryKey(),
  status: text("status").$type<ExportStatus>().notNull(),
  tenants: integer("tenants").notNull().default(0),
  events: integer("events").notNull().default(0),
  /** Set when the hour was too old for Stripe (35 days) and nothing was sent. */
  skippedReason: text("skipped_reason"),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * One Stripe meter event per (tenant, usage field, hour), written before it is sent, its value
 * frozen then. `identifier` is the one Stripe deduplicates on: a resend after a crash is harmless.
 */
export const billingExportEvents = pgTable(
  "billing_export_events",
  {
    identifier: text("identifier").primaryKey(),
    hour: timestamp("hour", { withTimezone: true, mode: "date" })
      .notNull()
      .references(() => billingExportHours.hour, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    field: text("field").notNull(),
    eventName: text("event_name").notNull(),
    stripeCustomerId: text("stripe_customer_id").notNull(),
    value: bigint("value", { mode: "number" }).notNull(),
    status: text("status").$type<EventStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("billing_export_events_hour_idx").on(t.hour, t.status)],
);
