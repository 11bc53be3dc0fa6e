import { integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenantIsolationPolicy } from "../db/tenant-policy.ts";

/**
 * Shared-tier map records. Keys use the "C" collation so that ordering is the byte order of the
 * UTF-8 key, as the contract requires for lists.
 */
export const mapRecords = pgTable(
  "map_records",
  {
    tenantId: text("tenant_id").notNull(),
    map: text("map").notNull(),
    key: text("key").notNull(),
    value: jsonb("value").notNull(),
    version: integer("version").notNull(),
    bytes: integer("bytes").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.map, t.key] }),
    tenantIsolationPolicy("map_records_tenant_isolation", t.tenantId),
  ],
).enableRLS();
