import { sql } from "drizzle-orm";
import type { UsageCounts } from "../core/usage-counts.ts";

/** The usage fields summed over `usage_minutes` rows (peak connections: the largest), for a GROUP BY. */
export const USAGE_SUMS = sql`sum(requests) as requests, sum(rejected) as rejected, sum(read_ops) as read_ops, sum(write_ops) as write_ops,
  sum(bytes_in) as bytes_in, sum(bytes_out) as bytes_out, sum(connection_seconds) as connection_seconds,
  max(peak_connections) as peak_connections, sum(messages) as messages`;

/** What USAGE_SUMS yields per row (Postgres sends bigint sums as text). */
export interface UsageSumsSql extends Record<string, unknown> {
  requests: string | number;
  rejected: string | number;
  read_ops: string | number;
  write_ops: string | number;
  bytes_in: string | number;
  bytes_out: string | number;
  connection_seconds: string | number;
  peak_connections: string | number;
  messages: string | number;
}

export function usageCountsOf(row: UsageSumsSql): UsageCounts {
  return {
    requests: Number(row.requests),
    rejected: Number(row.rejected),
    readOps: Number(row.read_ops),
    writeOps: Number(row.write_ops),
    bytesIn: Number(row.bytes_in),
    bytesOut: Number(row.bytes_out),
    connectionSeconds: Number(row.connection_seconds),
    peakConnections: Number(row.peak_connections),
    messages: Number(row.messages),
  };
}
