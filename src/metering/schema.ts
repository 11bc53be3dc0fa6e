import { bigint, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Usage per tenant and minute; flushed batches add into these rows. */
export const usageMinutes = pgTable(
  "usage_minutes",
  {
    tenantId: text("tenant_id").notNull(),
    minute: timestamp("minute", { withTimezone: true, mode: "date" }).notNull(),
    requests: bigint("requests", { mode: "number" }).notNull().default(0),
    rejected: bigint("rejected", { mode: "number" }).notNull().default(0),
    readOps: bigint("read_ops", { mode: "number" }).notNull().default(0),
    writeOps: bigint("write_ops", { mode: "number" }).notNull().default(0),
    bytesIn: bigint("bytes_in", { mode: "number" }).notNull().default(0),
    bytesOut: bigint("bytes_out", { mode: "number" }).notNull().default(0),
    connectionSeconds: bigint("connection_seconds", { mode: "number" }).notNull().default(0),
    peakConnections: integer("peak_connections").notNull().default(0),
    messages: bigint("messages", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.minute] })],
);

/** Batch ids already applied: a re-sent batch (crash between commit and delete) is skipped. */
export const usageBatches = pgTable("usage_batches", {
  id: text("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  appliedAt: timestamp("applied_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * Every counter per tenant since it began, kept in the same transaction as each usage batch: the
 * metrics read one row per tenant. The outcome columns split data-plane requests by how they ended.
 */
export const usageTotals = pgTable("usage_totals", {
  tenantId: text("tenant_id").primaryKey(),
  requests: bigint("requests", { mode: "number" }).notNull().default(0),
  rejected: bigint("rejected", { mode: "number" }).notNull().default(0),
  readOps: bigint("read_ops", { mode: "number" }).notNull().default(0),
  writeOps: bigint("write_ops", { mode: "number" }).notNull().default(0),
  bytesIn: bigint("bytes_in", { mode: "number" }).notNull().default(0),
  bytesOut: bigint("bytes_out", { mode: "number" }).notNull().default(0),
  connectionSeconds: bigint("connection_seconds", { mode: "number" }).notNull().default(0),
  messages: bigint("messages", { mode: "number" }).notNull().default(0),
  outcomeOk: bigint("outcome_ok", { mode: "number" }).notNull().default(0),
  outcomeRateLimited: bigint("outcome_rate_limited", { mode: "number" }).notNull().default(0),
  outcomeQuotaExceeded: bigint("outcome_quota_exceeded", { mode: "number" }).notNull().default(0),
  outcomeConcurrencyLimited: bigint("outcome_concurrency_limited", { mode: "number" }).notNull().default(0),
  outcomeNotReady: bigint("outcome_not_ready", { mode: "number" }).notNull().default(0),
  outcomeClientError: bigint("outcome_client_error", { mode: "number" }).notNull().default(0),
  outcomeServerError: bigint("outcome_server_error", { mode: "number" }).notNull().default(0),
  lastBatchAt: timestamp("last_batch_at", { withTimezone: true, mode: "date" }),
});
