export const HOUR_MS = 3_600_000;
/** Stripe refuses meter events whose timestamp is more than 35 days old. */
export const STRIPE_MAX_AGE_MS = 35 * 24 * HOUR_MS;
/**
 * Usage reaches Postgres from the runtime objects within a flush interval (seconds): an hour is
 * exported by the cron once this long has passed since its end, so its last minute is in.
 */
export const SETTLE_MS = 2 * 60_000;
/** Kept clear of Stripe's 35 days, so an hour is never sent just as it turns too old. */
const AGE_MARGIN_MS = 10 * 60_000;

export const hourStart = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
export const isHourStart = (at: Date) => at.getTime() % HOUR_MS === 0;

/** The latest hour whose end is at least SETTLE_MS ago. */
export const lastClosedHour = (now: Date) => new Date(hourStart(new Date(now.getTime() - SETTLE_MS)).getTime() - HOUR_MS);

/** Whether Stripe would still take an event stamped with the hour's start. */
export const withinStripeWindow = (hour: Date, now: Date) => hour.getTime() > now.getTime() - STRIPE_MAX_AGE_MS + AGE_MARGIN_MS;

/** `<tenantId>:<field>:<hour ISO>`: deterministic, so Stripe deduplicates a resend. */
export const meterEventIdentifier = (tenantId: string, field: string, hour: Date) => `${tenantId}:${field}:${hour.toISOString()}`;
