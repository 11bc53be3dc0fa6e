import { asc, eq, max } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { stripeExportSetting } from "./config.ts";
import { exportHour } from "./export-hour.ts";
import type { HourExport } from "./export-status.ts";
import { HOUR_MS, lastClosedHour, withinStripeWindow } from "./hours.ts";
import { billingExportHours } from "./schema.ts";

/** Hours one scheduled run exports at most (catch-up after an outage spreads over a few runs). */
const MAX_HOURS_PER_RUN = 24;

/**
 * Which hours the cron exports now, oldest first: hours still pending from an earlier run, then
 * every closed hour after the latest one exported (missed runs), within Stripe's 35 days. The very
 * first run exports the last closed hour only: enabling the export never bills the past.
 */
export async function hoursDue(db: Database, now: Date): Promise<Date[]> {
  const due = new Map<number, Date>();
  const pending = await db
    .select({ hour: billingExportHours.hour })
    .from(billingExportHours)
    .where(eq(billingExportHours.status, "pending"))
    .orderBy(asc(billingExportHours.hour))
    .limit(MAX_HOURS_PER_RUN);
  for (const { hour } of pending) due.set(hour.getTime(), hour);
  const last = lastClosedHour(now);
  const [latest] = await db.select({ hour: max(billingExportHours.hour) }).from(billingExportHours);
  let next = latest?.hour ? new Date(latest.hour.getTime() + HOUR_MS) : last;
  while (!withinStripeWindow(next, now)) next = new Date(next.getTime() + HOUR_MS);
  for (; next <= last && due.size < MAX_HOURS_PER_RUN; next = new Date(next.getTime() + HOUR_MS)) due.set(next.getTime(), next);
  return [...due.values()].sort((a, b) => a.getTime() - b.getTime());
}

/** The cron's part: export every due hour; one hour's failure leaves the others to go on. */
export async function runScheduledExport(env: Env, db: Database, now: Date): Promise<{ off: string } | { hours: HourExport[] }> {
  const setting = stripeExportSetting(env);
  if (!setting.on) return { off: setting.reason };
  const hours: HourExport[] = [];
  for (const hour of await hoursDue(db, now)) {
    try {
      const result = await exportHour(db, setting.config, hour, now);
      if (result.status !== "sent") logEvent("warn", "stripe export hour not fully sent", { ...result });
      hours.push(result);
    } catch (error) {
      logEvent("error", "stripe export hour failed; the next run retries", { hour: hour.toISOString(), error: errorMessage(error) });
    }
  }
  return { hours };
}
