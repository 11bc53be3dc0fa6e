import { and, asc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { billingExportEvents, billingExportHours, type ExportStatus } from "./schema.ts";

export interface HourExport {
  hour: string;
  tenants: number;
  events: number;
  status: ExportStatus;
  failures: Array<{ tenantId: string; error: string }>;
}

/** pending while any event is; otherwise sent, failed (nothing sent) or partial. An hour without usage is sent. */
function statusOf(counts: { pending: number; sent: number; failed: number }): ExportStatus {
  if (counts.pending > 0) return "pending";
  if (counts.failed === 0) return "sent";
  return counts.sent === 0 ? "failed" : "partial";
}

/** Sums up the hour's events into its row and returns the hour as the API shows it. */
export async function refreshHourStatus(db: Database, hour: Date): Promise<HourExport> {
  const [counts] = await db
    .select({
      pending: sql<number>`count(*) filter (where ${billingExportEvents.status} = 'pending')::int`,
      sent: sql<number>`count(*) filter (where ${billingExportEvents.status} = 'sent')::int`,
      failed: sql<number>`count(*) filter (where ${billingExportEvents.status} = 'failed')::int`,
      tenants: sql<number>`count(distinct ${billingExportEvents.tenantId})::int`,
    })
    .from(billingExportEvents)
    .where(eq(billingExportEvents.hour, hour));
  const summary = counts ?? { pending: 0, sent: 0, failed: 0, tenants: 0 };
  const status = statusOf(summary);
  const events = summary.pending + summary.sent + summary.failed;
  await db.update(billingExportHours).set({ status, tenants: summary.tenants, events, updatedAt: new Date() }).where(eq(billingExportHours.hour, hour));
  const [view] = await listExports(db, hour, new Date(hour.getTime() + 1));
  return view ?? { hour: hour.toISOString(), tenants: summary.tenants, events, status, failures: [] };
}

/** Exported hours in [from, to), oldest first, each with one failure per tenant that has one. */
export async function listExports(db: Database, from: Date, to: Date): Promise<HourExport[]> {
  const hours = await db
    .select()
    .from(billingExportHours)
    .where(and(gte(billingExportHours.hour, from), lt(billingExportHours.hour, to)))
    .orderBy(asc(billingExportHours.hour));
  if (hours.length === 0) return [];
  const failed = await db
    .selectDistinctOn([billingExportEvents.hour, billingExportEvents.tenantId], {
      hour: billingExportEvents.hour,
      tenantId: billingExportEvents.tenantId,
      error: billingExportEvents.error,
    })
    .from(billingExportEvents)
    .where(
      and(
        inArray(billingExportEvents.status, ["failed"]),
        gte(billingExportEvents.hour, from),
        lt(billingExportEvents.hour, to),
      ),
    )
    .orderBy(billingExportEvents.hour, billingExportEvents.tenantId, billingExportEvents.identifier);
  const failuresByHour = new Map<number, HourExport["failures"]>();
  for (const row of failed) {
    const list = failuresByHour.get(row.hour.getTime()) ?? [];
    list.push({ tenantId: row.tenantId, error: row.error ?? "failed" });
    failuresByHour.set(row.hour.getTime(), list);
  }
  return hours.map((row) => ({
    hour: row.hour.toISOString(),
    tenants: row.tenants,
    events: row.events,
    status: row.status,
    failures: failuresByHour.get(row.hour.getTime()) ?? [],
  }));
}
