/** Usage fields a meter may bill: every summed counter (peakConnections is a maximum, not a sum). */
export const METERABLE_FIELDS = ["requests", "rejected", "readOps", "writeOps", "bytesIn", "bytesOut", "connectionSeconds", "messages"] as const;
export type MeterableField = (typeof METERABLE_FIELDS)[number];

export interface Meter {
  field: MeterableField;
  eventName: string;
}

export interface StripeExportConfig {
  secretKey: string;
  apiBase: string;
  meters: Meter[];
}

export type StripeExportSetting = { on: true; config: StripeExportConfig } | { on: false; reason: string };

const DEFAULT_API_BASE = "https://api.stripe.com";
/** Stripe's limit on `event_name`. */
const MAX_EVENT_NAME = 100;

/** The export's deployment configuration: off (with the reason) unless the key and a valid meter map are set. */
export function stripeExportSetting(env: Env): StripeExportSetting {
  if (!env.STRIPE_SECRET_KEY) return { on: false, reason: "STRIPE_SECRET_KEY is not set" };
  if (!env.STRIPE_METERS) return { on: false, reason: "STRIPE_METERS is not set" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.STRIPE_METERS);
  } catch {
    return { on: false, reason: "STRIPE_METERS is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { on: false, reason: "STRIPE_METERS must be a JSON object of usage field → meter event name" };
  }
  const meters: Meter[] = [];
  for (const [field, eventName] of Object.entries(parsed)) {
    if (!(METERABLE_FIELDS as readonly string[]).includes(field)) {
      return { on: false, reason: `STRIPE_METERS names ${JSON.stringify(field)}, not one of ${METERABLE_FIELDS.join(", ")}` };
    }
    if (typeof eventName !== "string" || eventName.length === 0 || eventName.length > MAX_EVENT_NAME) {
      return { on: false, reason: `STRIPE_METERS.${field} must be a meter event name of 1–${MAX_EVENT_NAME} characters` };
    }
    meters.push({ field: field as MeterableField, eventName });
  }
  if (meters.length === 0) return { on: false, reason: "STRIPE_METERS maps no usage field" };
  const apiBase = (env.STRIPE_API_BASE || DEFAULT_API_BASE).replace(/\/+$/, "");
  return { on: true, config: { secretKey: env.STRIPE_SECRET_KEY, apiBase, meters } };
}
