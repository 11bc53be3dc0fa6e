import type { StripeExportConfig } from "./config.ts";

export interface MeterEvent {
  eventName: string;
  stripeCustomerId: string;
  value: number;
  /** Unix seconds. */
  timestamp: number;
  identifier: string;
}

/** `sent`: Stripe has the event (now or from an earlier send); `rejected`: a 4xx, final; `retry`: 429, 5xx or no answer. */
export type SendResult = { kind: "sent" } | { kind: "rejected"; status: number; error: string } | { kind: "retry"; error: string; retryAfterMs?: number };

const REQUEST_TIMEOUT_MS = 15_000;

/** Stripe's form encoding of a meter event (`payload[...]` for the nested object). */
export function meterEventForm(event: MeterEvent): URLSearchParams {
  return new URLSearchParams({
    event_name: event.eventName,
    "payload[stripe_customer_id]": event.stripeCustomerId,
    "payload[value]": String(event.value),
    timestamp: String(event.timestamp),
    identifier: event.identifier,
  });
}

/**
 * Stripe answers a resend of an identifier it already holds with a 400 ("An event already exists
 * with identifier …"): the identifier is derived from the billed fact, so that means delivered.
 */
function isDuplicate(status: number, error: StripeErrorBody["error"]): boolean {
  return status === 400 && (error?.code === "duplicate_meter_event" || /already exists with identifier/i.test(error?.message ?? ""));
}

interface StripeErrorBody {
  error?: { type?: string; code?: string; message?: string; param?: string };
}

/** One `POST /v1/billing/meter_events` (plain fetch: the SDK would add nothing but weight to the bundle). */
export async function sendMeterEvent(config: StripeExportConfig, event: MeterEvent): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(`${config.apiBase}/v1/billing/meter_events`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${config.secretKey}`,
        // No Idempotency-Key: Stripe would replay an earlier 4xx to a corrected resend; `identifier` dedups.
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: meterEventForm(event),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: "retry", error: `Stripe unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (response.ok) {
    await response.body?.cancel();
    return { kind: "sent" };
  }
  const body = (await response.json().catch(() => ({}))) as StripeErrorBody;
  const message = body.error?.message ?? `HTTP ${response.status}`;
  if (response.status === 429 || response.status >= 500) {
    const retryAfter = Number(response.headers.get("Retry-After"));
    return { kind: "retry", error: `Stripe ${response.status}: ${message}`, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
  }
  if (isDuplicate(response.status, body.error)) return { kind: "sent" };
  return { kind: "rejected", status: response.status, error: `Stripe ${response.status}${body.error?.code ? ` ${body.error.code}` : ""}: ${message}` };
}
