import { sql } from "drizzle-orm";
import { integer, jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { appRole } from "../db/roles.ts";

/**
 * The current transaction's tenant. `set_config('app.tenant_id', …, true)` sets it; unset or empty
 * yields NULL, which matches no row.
 */
export const currentTenant = sql`nullif(current_setting('app.tenant_id', true), '')`;

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
    pgPolicy("map_records_tenant_isolation", {
      as: "permissive",
      for: "all",
      to: appRole,
      using: sql`${t.tenantId} = ${currentTenant}`,
      withCheck: sql`${t.tenantId} = ${currentTenant}`,
    }),
  ],
).enableRLS();
