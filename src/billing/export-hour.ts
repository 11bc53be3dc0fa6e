import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { StripeExportConfig } from "./config.ts";
import { billableUsage } from "./hour-usage.ts";
import { meterEventIdentifier, withinStripeWindow } from "./hours.ts";
import { billingExportEvents, billingExportHours } from "./schema.ts";
import { refreshHourStatus, type HourExport } from "./export-status.ts";
import { sendMeterEvent, type SendResult } from "./stripe-meter-events.ts";

export interface ExportOptions {
  /** An operator's run: events Stripe refused before are sent again, with the tenant's current customer id. */
  retryRejected?: boolean;
  /** Integration tests only: stop as a dying Worker would, right after Stripe accepted this many events. */
  stopAfterSent?: number;
}

/** What a test's `stopAfterSent` throws: the run ends with Stripe holding an event not yet marked sent. */
export class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
}

export const TOO_OLD = "skipped: the hour is more than 35 days old, and Stripe refuses meter events that old";
const SEND_CONCURRENCY = 8;
const MAX_SENDS_PER_RUN = 4;
const MAX_RETRY_DELAY_MS = 5_000;
const INSERT_CHUNK = 500;

type EventRow = typeof billingExportEvents.$inferSelect;

/**
 * Exports one closed UTC hour: freezes one event row per (tenant with a Stripe customer, mapped
 * field with a non-zero sum), then sends every pending one. Idempotent: a second run sends only
 * what is still pending, and a run that died half-way is finished by the next one.
 */
export async function exportHour(db: Database, config: StripeExportConfig, hour: Date, now: Date, options: ExportOptions = {}): Promise<HourExport> {
  await db.insert(billingExportHours).values({ hour, status: "pending" }).onConflictDoNothing();
  const old = !withinStripeWindow(hour, now);
  await recordEvents(db, config, hour, old);
  if (old) {
    await db
      .update(billingExportEvents)
      .set({ status: "failed", error: TOO_OLD })
      .where(and(eq(billingExportEvents.hour, hour), eq(billingExportEvents.status, "pending")));
    await db.update(billingExportHours).set({ skippedReason: TOO_OLD }).where(eq(billingExportHours.hour, hour));
    return refreshHourStatus(db, hour);
  }
  if (options.retryRejected) await requeueRejected(db, hour);
  const pending = await db
    .select()
    .from(billingExportEvents)
    .where(and(eq(billingExportEvents.hour, hour), eq(billingExportEvents.status, "pending")))
    .orderBy(billingExportEvents.identifier);
  await sendAll(db, config, pending, options.stopAfterSent);
  return refreshHourStatus(db, hour);
}

/** The hour's events, values frozen at first sight: a later run adds only pairs that were not there. */
async function recordEvents(db: Database, config: StripeExportConfig, hour: Date, old: boolean): Promise<void> {
  const usage = await billableUsage(db, hour, config.meters.map((meter) => meter.field));
  const rows = usage.flatMap((tenant) =>
    config.meters
      .filter((meter) => (tenant.values[meter.field] ?? 0) > 0)
      .map((meter) => ({
        identifier: meterEventIdentifier(tenant.tenantId, meter.field, hour),
        hour,
        tenantId: tenant.tenantId,
        field: meter.field,
        eventName: meter.eventName,
        stripeCustomerId: tenant.stripeCustomerId,
        value: tenant.values[meter.field]!,
        ...(old ? { status: "failed" as const, error: TOO_OLD } : {}),
      })),
  );
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db.insert(billingExportEvents).values(rows.slice(i, i + INSERT_CHUNK)).onConflictDoNothing();
  }
}

async function requeueRejected(db: Database, hour: Date): Promise<void> {
  await db.execute(sql`
    update billing_export_events e
    set status = 'pending', error = null,
        stripe_customer_id = coalesce(nullif(t.billing->>'stripeCustomerId', ''), e.stripe_customer_id)
    from tenants t
    where t.id = e.tenant_id and e.hour = ${hour.toISOString()}::timestamptz and e.status = 'failed'`);
}

async function sendAll(db: Database, config: StripeExportConfig, events: EventRow[], stopAfterSent?: number): Promise<void> {
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++]!;
      const { result, sends } = await sendWithRetries(config, event);
      if (result.kind === "sent" && stopAfterSent !== undefined && ++accepted >= stopAfterSent) {
        throw new SimulatedCrash(`stopped after ${accepted} accepted events, before recording the last`);
      }
      await recordResult(db, event, result, sends);
    }
  };
  // A test's crash point must be exact: one event at a time then.
  const workers = stopAfterSent === undefined ? Math.min(SEND_CONCURRENCY, events.length) : 1;
  await Promise.all(Array.from({ length: workers }, worker));
}

/** 429, 5xx and no answer are retried with exponential backoff (Stripe's Retry-After when it sends one). */
async function sendWithRetries(config: StripeExportConfig, event: EventRow): Promise<{ result: SendResult; sends: number }> {
  const message = {
    eventName: event.eventName,
    stripeCustomerId: event.stripeCustomerId,
    value: event.value,
    timestamp: Math.floor(event.hour.getTime() / 1000),
    identifier: event.identifier,
  };
  let result: SendResult = { kind: "retry", error: "not sent" };
  for (let sends = 1; sends <= MAX_SENDS_PER_RUN; sends++) {
    result = await sendMeterEvent(config, message);
    if (result.kind !== "retry" || sends === MAX_SENDS_PER_RUN) return { result, sends };
    const backoff = 250 * 4 ** (sends - 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(result.kind === "retry" ? (result.retryAfterMs ?? backoff) : backoff, MAX_RETRY_DELAY_MS)));
  }
  return { result, sends: MAX_SENDS_PER_RUN };
}

async function recordResult(db: Database, event: EventRow, result: SendResult, sends: number): Promise<void> {
  const attempts = sql`${billingExportEvents.attempts} + ${sends}`;
  const where = and(eq(billingExportEvents.identifier, event.identifier), eq(billingExportEvents.status, "pending"));
  if (result.kind === "sent") {
    await db.update(billingExportEvents).set({ status: "sent", error: null, sentAt: new Date(), attempts }).where(where);
  } else if (result.kind === "rejected") {
    await db.update(billingExportEvents).set({ status: "failed", error: result.error, attempts }).where(where);
  } else {
    // Still pending: the next scheduled run sends it again.
    await db.update(billingExportEvents).set({ error: result.error, attempts }).where(where);
  }
}
