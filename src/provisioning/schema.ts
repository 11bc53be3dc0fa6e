import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenants } from "../core/tenant-table.ts";

/** One provisioning run per tenant: the latest attempt at bringing it to `active`. */
export const provisioningRuns = pgTable(
  "provisioning_runs",
  {
    tenantId: text("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    state: text("state").$type<"queued" | "running" | "succeeded" | "failed">().notNull(),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** Last sign of progress (queued, step claimed or finished); the sweeper re-enqueues runs idle too long. */
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("provisioning_runs_open_idx").on(t.updatedAt).where(sql`${t.state} in ('queued', 'running')`)],
);

/** Each named, idempotent step of a run; a finished step is never run again. */
export const provisioningSteps = pgTable(
  "provisioning_steps",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    position: integer("position").notNull(),
    status: text("status").$type<"pending" | "running" | "succeeded" | "failed">().notNull(),
    attempts: integer("attempts").notNull().default(0),
    durationMs: integer("duration_ms"),
    error: text("error"),
    output: jsonb("output").$type<Record<string, unknown>>(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/**
 * The tenant's footprint in the database, written by the `database` step (one row per tenant, in
 * both tiers) and completed by the `configuration` step with the effective configuration applied.
 */
export const tenantConfigs = pgTable("tenant_configs", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  isolation: text("isolation").notNull(),
  /** `public` for the shared tier, the tenant's own schema for the dedicated tier. */
  storageSchema: text("storage_schema").notNull(),
  plan: text("plan"),
  limits: jsonb("limits").$type<Record<string, number | null>>(),
  features: text("features").array(),
  configVersion: integer("config_version"),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
