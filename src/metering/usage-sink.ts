import { noOutcomes, type OutcomeCounts } from "../core/outcomes.ts";
import type { UsageRow } from "../core/usage-counts.ts";
import type { StatementRunner } from "../db/client.ts";
import type { TextQuery } from "../db/text-query.ts";

export interface UsageBatch {
  /** Unique per batch and stable across retries: Postgres applies a batch id once. */
  id: string;
  tenantId: string;
  rows: UsageRow[];
}

// One statement, so one round trip over Neon's HTTP endpoint and atomic by itself: the batch id is
// claimed and, only when the claim is new, the rows are added into usage_minutes and their sums into
// usage_totals. A re-sent batch (a crash between Postgres's commit and the runtime's delete) finds
// its id claimed and adds nothing. Every data-modifying CTE runs whether or not the final select
// reads it (PostgreSQL, "Data-Modifying Statements in WITH").
const APPLY_USAGE_BATCH = `with claimed as (
  insert into usage_batches (id, tenant_id) values ($1, $2) on conflict do nothing returning id
), batch_rows as (
  select r.* from json_to_recordset($3::json) as r(
    minute timestamptz, requests bigint, rejected bigint, read_ops bigint, write_ops bigint, bytes_in bigint,
    bytes_out bigint, connection_seconds bigint, peak_connections integer, messages bigint
  ) where exists (select 1 from claimed)
), minutes as (
  insert into usage_minutes (tenant_id, minute, requests, rejected, read_ops, write_ops, bytes_in, bytes_out, connection_seconds, peak_connections, messages)
  select $2, minute, requests, rejected, read_ops, write_ops, bytes_in, bytes_out, connection_seconds, peak_connections, messages from batch_rows
  on conflict (tenant_id, minute) do update set
    requests = usage_minutes.requests + excluded.requests,
    rejected = usage_minutes.rejected + excluded.rejected,
    read_ops = usage_minutes.read_ops + excluded.read_ops,
    write_ops = usage_minutes.write_ops + excluded.write_ops,
    bytes_in = usage_minutes.bytes_in + excluded.bytes_in,
    bytes_out = usage_minutes.bytes_out + excluded.bytes_out,
    connection_seconds = usage_minutes.connection_seconds + excluded.connection_seconds,
    peak_connections = greatest(usage_minutes.peak_connections, excluded.peak_connections),
    messages = usage_minutes.messages + excluded.messages
), totals as (
  insert into usage_totals (tenant_id, requests, rejected, read_ops, write_ops, bytes_in, bytes_out, connection_seconds, messages,
    outcome_ok, outcome_rate_limited, outcome_quota_exceeded, outcome_concurrency_limited, outcome_not_ready, outcome_client_error, outcome_server_error, last_batch_at)
  select $2, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, now() where exists (select 1 from claimed)
  on conflict (tenant_id) do update set
    requests = usage_totals.requests + excluded.requests,
    rejected = usage_totals.rejected + excluded.rejected,
    read_ops = usage_totals.read_ops + excluded.read_ops,
    write_ops = usage_totals.write_ops + excluded.write_ops,
    bytes_in = usage_totals.bytes_in + excluded.bytes_in,
    bytes_out = usage_totals.bytes_out + excluded.bytes_out,
    connection_seconds = usage_totals.connection_seconds + excluded.connection_seconds,
    messages = usage_totals.messages + excluded.messages,
    outcome_ok = usage_totals.outcome_ok + excluded.outcome_ok,
    outcome_rate_limited = usage_totals.outcome_rate_limited + excluded.outcome_rate_limited,
    outcome_quota_exceeded = usage_totals.outcome_quota_exceeded + excluded.outcome_quota_exceeded,
    outcome_concurrency_limited = usage_totals.outcome_concurrency_limited + excluded.outcome_concurrency_limited,
    outcome_not_ready = usage_totals.outcome_not_ready + excluded.outcome_not_ready,
    outcome_client_error = usage_totals.outcome_client_error + excluded.outcome_client_error,
    outcome_server_error = usage_totals.outcome_server_error + excluded.outcome_server_error,
    last_batch_at = now()
)
select count(*)::int as applied from claimed`;

const SUMMED = ["requests", "rejected", "readOps", "writeOps", "bytesIn", "bytesOut", "connectionSeconds", "messages"] as const;

/** The statement that adds `batch` into usage_minutes and usage_totals once (see APPLY_USAGE_BATCH). */
export function usageBatchQuery(batch: UsageBatch): TextQuery {
  const sums = Object.fromEntries(SUMMED.map((field) => [field, 0])) as Record<(typeof SUMMED)[number], number>;
  const outcomes: OutcomeCounts = noOutcomes();
  for (const row of batch.rows) {
    for (const field of SUMMED) sums[field] += row[field];
    for (const outcome of Object.keys(outcomes) as Array<keyof OutcomeCounts>) outcomes[outcome] += row.outcomes?.[outcome] ?? 0;
  }
  const rows = batch.rows.map((row) => ({
    minute: new Date(row.minute).toISOString(),
    requests: row.requests,
    rejected: row.rejected,
    read_ops: row.readOps,
    write_ops: row.writeOps,
    bytes_in: row.bytesIn,
    bytes_out: row.bytesOut,
    connection_seconds: row.connectionSeconds,
    peak_connections: row.peakConnections,
    messages: row.messages,
  }));
  return {
    text: APPLY_USAGE_BATCH,
    params: [
      batch.id,
      batch.tenantId,
      JSON.stringify(rows),
      ...SUMMED.map((field) => sums[field]),
      outcomes.ok,
      outcomes.rate_limited,
      outcomes.quota_exceeded,
      outcomes.concurrency_limited,
      outcomes.not_ready,
      outcomes.client_error,
      outcomes.server_error,
    ],
  };
}

/**
 * Adds a batch into usage_minutes and usage_totals, unless that batch id was applied before (a retry
 * after a crash between the commit and the runtime's delete). Exactly once either way, in one
 * statement: over Neon's HTTP endpoint that is one round trip and no connection to open. `db` is
 * the runtime object's HTTP statements, or a `pg` client in tests.
 */
export async function applyUsageBatch(db: StatementRunner, batch: UsageBatch): Promise<"applied" | "duplicate"> {
  if (batch.rows.length === 0) return "duplicate";
  const { text, params } = usageBatchQuery(batch);
  const result = await db.query(text, params);
  return appliedCount(result) > 0 ? "applied" : "duplicate";
}

/** The Neon HTTP client answers rows; `pg` answers a result with `rows`. */
function appliedCount(result: unknown): number {
  const rows = Array.isArray(result) ? result : (result as { rows: Array<{ applied: number }> }).rows;
  return Number((rows[0] as { applied: number } | undefined)?.applied ?? 0);
}
