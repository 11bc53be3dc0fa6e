import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { Scope } from "../core/tenant-context.ts";
import { tenants } from "../core/tenant-table.ts";

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 of the secret, hex. The secret itself is never stored. */
    hash: text("hash").notNull().unique(),
    /** The first characters of the secret, to recognise a key in a list. */
    start: text("start").notNull(),
    scopes: text("scopes").array().$type<Scope[]>().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("api_keys_tenant_idx").on(t.tenantId, t.createdAt)],
);

/** Revoked tenant-token ids (`jti`) until they expire; a deleted tenant revokes by tenant instead. */
export const revokedTokens = pgTable("revoked_tokens", {
  jti: text("jti").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});
