import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { subscribedTypes, writeEvents, type OutboxEvent } from "./outbox.ts";

const HOUR_MS = 3_600_000;
/** Closed hours looked at on each run: a few missed crons lose nothing. */
const LOOKBACK_HOURS = 3;
/** An hour is reported this long after it closes, once runtime objects have flushed its last minutes. */
const FLUSH_GRACE_MS = 2 * 60_000;

interface HourRow extends Record<string, unknown> {
  tenant_id: string;
  hour: Date | string;
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

/**
 * `usage.hourly` for each tenant and closed UTC hour with usage, from usage_minutes. The dedupe
 * key (tenant, hour) makes it once per hour per tenant however often the job runs.
 */
export async function emitHourlyUsage(db: Database, now: Date): Promise<number> {
  if (!(await subscribedTypes(db))("usage.hourly")) return 0;
  const to = Math.floor((now.getTime() - FLUSH_GRACE_MS) / HOUR_MS) * HOUR_MS;
  const from = to - LOOKBACK_HOURS * HOUR_MS;
  const result = await db.execute<HourRow>(sql`
    select tenant_id, date_trunc('hour', minute at time zone 'UTC') at time zone 'UTC' as hour,
           sum(requests) as requests, sum(rejected) as rejected, sum(read_ops) as read_ops, sum(write_ops) as write_ops,
           sum(bytes_in) as bytes_in, sum(bytes_out) as bytes_out, sum(connection_seconds) as connection_seconds,
           max(peak_connections) as peak_connections, sum(messages) as messages
    from usage_minutes
    where minute >= ${new Date(from).toISOString()}::timestamptz and minute < ${new Date(to).toISOString()}::timestamptz
    group by 1, 2
    order by 2, 1`);
  const events: OutboxEvent[] = result.rows.map((row) => {
    const hour = new Date(row.hour).toISOString();
    return {
      type: "usage.hourly",
      tenantId: row.tenant_id,
      dedupeKey: `usage.hourly:${row.tenant_id}:${hour}`,
      data: {
        tenantId: row.tenant_id,
        hour,
        usage: {
          requests: Number(row.requests),
          rejected: Number(row.rejected),
          readOps: Number(row.read_ops),
          writeOps: Number(row.write_ops),
          bytesIn: Number(row.bytes_in),
          bytesOut: Number(row.bytes_out),
          connectionSeconds: Number(row.connection_seconds),
          peakConnections: Number(row.peak_connections),
          messages: Number(row.messages),
        },
      },
    };
  });
  let written = 0;
  for (let start = 0; start < events.length; start += 200) written += (await writeEvents(db, events.slice(start, start + 200), now)).length;
  return written;
}
