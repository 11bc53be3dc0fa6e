import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { MeterableField } from "./config.ts";
import { HOUR_MS } from "./hours.ts";

/** usage_minutes column of each meterable field (a fixed list: never built from input). */
const COLUMN: Record<MeterableField, string> = {
  requests: "requests",
  rejected: "rejected",
  readOps: "read_ops",
  writeOps: "write_ops",
  bytesIn: "bytes_in",
  bytesOut: "bytes_out",
  connectionSeconds: "connection_seconds",
  messages: "messages",
};

export interface BillableUsage {
  tenantId: string;
  stripeCustomerId: string;
  values: Partial<Record<MeterableField, number>>;
}

/** Each tenant with a Stripe customer and usage in the hour: its fields summed over the hour's minutes. */
export async function billableUsage(db: Database, hour: Date, fields: MeterableField[]): Promise<BillableUsage[]> {
  const sums = sql.join(
    fields.map((field) => sql`coalesce(sum(u.${sql.raw(COLUMN[field])}), 0)::text as ${sql.raw(`"${field}"`)}`),
    sql`, `,
  );
  const end = new Date(hour.getTime() + HOUR_MS);
  const result = await db.execute<Record<string, string>>(sql`
    select t.id as tenant_id, t.billing->>'stripeCustomerId' as stripe_customer_id, ${sums}
    from tenants t
    join usage_minutes u on u.tenant_id = t.id and u.minute >= ${hour.toISOString()}::timestamptz and u.minute < ${end.toISOString()}::timestamptz
    where coalesce(t.billing->>'stripeCustomerId', '') <> ''
    group by t.id, t.billing->>'stripeCustomerId'
    order by t.id`);
  return result.rows.map((row) => ({
    tenantId: row.tenant_id!,
    stripeCustomerId: row.stripe_customer_id!,
    values: Object.fromEntries(fields.map((field) => [field, Number(row[field])])),
  }));
}
