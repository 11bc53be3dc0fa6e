import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { USAGE_SUMS, usageCountsOf, type UsageSumsSql } from "../metering/usage-sums.ts";
import { subscribedTypes, writeEvents, type OutboxEvent } from "./outbox.ts";

const HOUR_MS = 3_600_000;
/** Closed hours looked at on each run: a few missed crons lose nothing. */
const LOOKBACK_HOURS = 3;
/** An hour is reported this long after it closes, once runtime objects have flushed its last minutes. */
const FLUSH_GRACE_MS = 2 * 60_000;

interface HourRow extends UsageSumsSql {
  tenant_id: string;
  hour: Date | string;
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
    select tenant_id, date_trunc('hour', minute at time zone 'UTC') at time zone 'UTC' as hour, ${USAGE_SUMS}
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
        // The contract's `usage` object, whose `start` is the hour's.
        usage: { start: hour, ...usageCountsOf(row) },
      },
    };
  });
  let written = 0;
  for (let start = 0; start < events.length; start += 200) written += (await writeEvents(db, events.slice(start, start + 200), now)).length;
  return written;
}
