import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { REQUEST_OUTCOMES, noOutcomes, type OutcomeCounts } from "../core/outcomes.ts";

/** Upper bounds of the provisioning-time histogram, in seconds. */
export const PROVISIONING_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

export interface UsageFigures {
  outcomes: OutcomeCounts;
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
  messages: number;
}

export interface ProvisioningFigures {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

const emptyUsage = (): UsageFigures => ({ outcomes: noOutcomes(), readOps: 0, writeOps: 0, bytesIn: 0, bytesOut: 0, messages: 0 });

const tenantFilter = (column: SQL, tenantId?: string) => (tenantId === undefined ? sql`true` : sql`${column} = ${tenantId}`);

/** Tenants counted by status and plan (all tenants, or one). */
export async function tenantCounts(db: Database, tenantId?: string): Promise<Array<{ status: string; plan: string; count: number }>> {
  const result = await db.execute<{ status: string; plan: string; count: number }>(
    sql`select status, plan, count(*)::int as count from tenants where ${tenantFilter(sql`id`, tenantId)} group by status, plan`,
  );
  return result.rows;
}

/** All-time usage totals by the tenant's current plan (one row per tenant summed: bounded by tenants, not minutes). */
export async function usageByPlan(db: Database, tenantId?: string): Promise<Map<string, UsageFigures>> {
  const outcomeSums = sql.join(
    REQUEST_OUTCOMES.map((outcome) => sql`sum(u.${sql.identifier(`outcome_${outcome}`)})::text as ${sql.identifier(outcome)}`),
    sql`, `,
  );
  const result = await db.execute<Record<string, string>>(sql`
    select t.plan, ${outcomeSums},
           sum(u.read_ops)::text as read_ops, sum(u.write_ops)::text as write_ops, sum(u.bytes_in)::text as bytes_in,
           sum(u.bytes_out)::text as bytes_out, sum(u.messages)::text as messages
    from usage_totals u join tenants t on t.id = u.tenant_id
    where ${tenantFilter(sql`u.tenant_id`, tenantId)}
    group by t.plan`);
  const byPlan = new Map<string, UsageFigures>();
  for (const row of result.rows) {
    const figures = emptyUsage();
    for (const outcome of REQUEST_OUTCOMES) figures.outcomes[outcome] = Number(row[outcome] ?? 0);
    figures.readOps = Number(row.read_ops ?? 0);
    figures.writeOps = Number(row.write_ops ?? 0);
    figures.bytesIn = Number(row.bytes_in ?? 0);
    figures.bytesOut = Number(row.bytes_out ?? 0);
    figures.messages = Number(row.messages ?? 0);
    byPlan.set(row.plan!, figures);
  }
  return byPlan;
}

/** How long successful provisioning runs took, bucketed in SQL. */
export async function provisioningTimes(db: Database, tenantId?: string): Promise<ProvisioningFigures> {
  const buckets = sql.join(
    PROVISIONING_BUCKETS.map((le, i) => sql`count(*) filter (where seconds <= ${le})::int as ${sql.identifier(`b${i}`)}`),
    sql`, `,
  );
  const result = await db.execute<Record<string, number | string | null>>(sql`
    select ${buckets}, coalesce(sum(seconds), 0)::float8 as sum, count(*)::int as count
    from (select extract(epoch from (finished_at - started_at))::float8 as seconds
          from provisioning_runs
          where state = 'succeeded' and started_at is not null and finished_at is not null and ${tenantFilter(sql`tenant_id`, tenantId)}) runs`);
  const row = result.rows[0] ?? {};
  return {
    buckets: PROVISIONING_BUCKETS.map((le, i) => ({ le, count: Number(row[`b${i}`] ?? 0) })),
    sum: Number(row.sum ?? 0),
    count: Number(row.count ?? 0),
  };
}

/**
 * Seconds since the end of the oldest closed hour the Stripe export still owes (pending), or else
 * since the end of the latest hour it finished; null before its first run. For one tenant: its
 * oldest hour with a pending event, else the platform's figure.
 */
export async function billingExportLag(db: Database, now: Date, tenantId?: string): Promise<number | null> {
  const hourEnd = (hour: Date | string) => new Date(hour).getTime() + 3_600_000;
  if (tenantId !== undefined) {
    const pending = await db.execute<{ hour: string | null }>(
      sql`select min(hour) as hour from billing_export_events where tenant_id = ${tenantId} and status = 'pending'`,
    );
    const hour = pending.rows[0]?.hour;
    if (hour) return Math.max(0, (now.getTime() - hourEnd(hour)) / 1000);
  }
  const result = await db.execute<{ oldest_pending: string | null; latest_done: string | null }>(sql`
    select min(hour) filter (where status = 'pending') as oldest_pending, max(hour) filter (where status <> 'pending') as latest_done
    from billing_export_hours`);
  const row = result.rows[0];
  const hour = row?.oldest_pending ?? row?.latest_done;
  return hour ? Math.max(0, (now.getTime() - hourEnd(hour)) / 1000) : null;
}

/** Data-plane requests the tenant made today (UTC), as flushed: what `requestsPerDay` is measured against. */
export async function requestsToday(db: Database, tenantId: string, now: Date): Promise<number> {
  const midnight = new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
  const result = await db.execute<{ requests: string }>(
    sql`select coalesce(sum(requests), 0)::text as requests from usage_minutes where tenant_id = ${tenantId} and minute >= ${midnight.toISOString()}::timestamptz`,
  );
  return Number(result.rows[0]?.requests ?? 0);
}
