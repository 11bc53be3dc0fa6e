import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { noUsage, type UsageCounts } from "../core/usage-counts.ts";
import { USAGE_SUMS, usageCountsOf, type UsageSumsSql } from "./usage-sums.ts";

export type Granularity = "minute" | "hour" | "day";

export interface UsagePoint extends UsageCounts {
  start: string;
}

const STEP: Record<Granularity, string> = { minute: "1 minute", hour: "1 hour", day: "1 day" };

interface UsageRowSql extends UsageSumsSql {
  start: Date | string;
}

/**
 * Aggregation in SQL over the per-minute rows: every bucket of [from, to) appears, empty ones as
 * zeros, so a chart needs no gap filling. Buckets are aligned to UTC.
 */
export async function usageSeries(db: Database, tenantId: string, from: Date, to: Date, granularity: Granularity): Promise<UsagePoint[]> {
  const unit = sql.raw(`'${granularity}'`);
  const step = sql.raw(`interval '${STEP[granularity]}'`);
  const result = await db.execute<UsageRowSql>(sql`
    with buckets as (
      select generate_series(date_trunc(${unit}, ${from.toISOString()}::timestamptz at time zone 'UTC'),
                             (${to.toISOString()}::timestamptz at time zone 'UTC') - interval '1 microsecond',
                             ${step}) as bucket
    ),
    usage as (
      select date_trunc(${unit}, minute at time zone 'UTC') as bucket, ${USAGE_SUMS}
      from usage_minutes
      where tenant_id = ${tenantId} and minute >= ${from.toISOString()}::timestamptz and minute < ${to.toISOString()}::timestamptz
      group by 1
    )
    select (b.bucket at time zone 'UTC') as start,
           coalesce(u.requests, 0) as requests, coalesce(u.rejected, 0) as rejected,
           coalesce(u.read_ops, 0) as read_ops, coalesce(u.write_ops, 0) as write_ops,
           coalesce(u.bytes_in, 0) as bytes_in, coalesce(u.bytes_out, 0) as bytes_out,
           coalesce(u.connection_seconds, 0) as connection_seconds, coalesce(u.peak_connections, 0) as peak_connections,
           coalesce(u.messages, 0) as messages
    from buckets b left join usage u on u.bucket = b.bucket
    order by b.bucket`);
  return result.rows.map((row) => ({ start: new Date(row.start).toISOString(), ...usageCountsOf(row) }));
}

export function usageTotals(series: UsagePoint[], start: Date): UsagePoint {
  const total: UsagePoint = { start: start.toISOString(), ...noUsage() };
  for (const point of series) {
    total.requests += point.requests;
    total.rejected += point.rejected;
    total.readOps += point.readOps;
    total.writeOps += point.writeOps;
    total.bytesIn += point.bytesIn;
    total.bytesOut += point.bytesOut;
    total.connectionSeconds += point.connectionSeconds;
    total.peakConnections = Math.max(total.peakConnections, point.peakConnections);
    total.messages += point.messages;
  }
  return total;
}
