import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { tenants } from "../core/tenant-table.ts";

/** Single-use links an operator hands to a tenant's administrator. Only the token's hash is kept. */
export const portalLinks = pgTable(
  "portal_links",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** SHA-256 of the link's token, hex. */
    tokenHash: text("token_hash").notNull().unique(),
    intent: text("intent").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    /** Set by the one opening that consumed the link. */
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("portal_links_tenant_idx").on(t.tenantId)],
);

/** Browser sessions opened by a portal link: the cookie carries the token, this table its hash. */
export const portalSessions = pgTable(
  "portal_sessions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    linkId: text("link_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    intent: text("intent").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("portal_sessions_tenant_idx").on(t.tenantId)],
);
