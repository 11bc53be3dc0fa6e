// Delivery settings. Defaults are the contract's; tests compress them with variables.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delays before the 2nd, 3rd, … attempt; after the last one fails the delivery is `failed`. */
export const DEFAULT_RETRY_SCHEDULE_MS = [5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR];
/** A 2xx within this long is delivered. */
export const DEFAULT_TIMEOUT_MS = 15 * SECOND;
/** An endpoint whose every attempt failed for this long is disabled. */
export const DEFAULT_DISABLE_AFTER_MS = 3 * 24 * HOUR;
/** The old secret also signs for this long after a rotation. */
export const PREVIOUS_SECRET_TTL_MS = 24 * HOUR;

export interface WebhookSettings {
  retryScheduleMs: number[];
  timeoutMs: number;
  disableAfterMs: number;
}

function positive(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(number) && number > 0 ? number : fallback;
}

function schedule(value: string | undefined): number[] {
  if (!value) return DEFAULT_RETRY_SCHEDULE_MS;
  const delays = value.split(",").map((part) => Number(part.trim()));
  return delays.length > 0 && delays.every((delay) => Number.isFinite(delay) && delay >= 0) ? delays : DEFAULT_RETRY_SCHEDULE_MS;
}

export function webhookSettings(env: Env): WebhookSettings {
  return {
    retryScheduleMs: schedule(env.WEBHOOK_RETRY_SCHEDULE_MS),
    timeoutMs: positive(env.WEBHOOK_TIMEOUT_MS, DEFAULT_TIMEOUT_MS),
    disableAfterMs: positive(env.WEBHOOK_DISABLE_AFTER_MS, DEFAULT_DISABLE_AFTER_MS),
  };
}
