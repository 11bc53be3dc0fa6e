import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Append-only. Not tied to the tenant row by a foreign key: the log outlives a soft delete. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index("audit_tenant_idx").on(t.tenantId, t.id.desc()),
    index("audit_tenant_action_idx").on(t.tenantId, t.action, t.id.desc()),
  ],
);
