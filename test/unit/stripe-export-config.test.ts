import { describe, expect, it } from "vitest";
import { stripeExportSetting } from "../../src/billing/config.ts";
import { lastClosedHour, meterEventIdentifier, withinStripeWindow } from "../../src/billing/hours.ts";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("Stripe export configuration", () => {
  it("is off, saying why, without a key, without meters, or with a meter map it cannot use", () => {
    expect(stripeExportSetting(env({}))).toMatchObject({ on: false, reason: expect.stringContaining("STRIPE_SECRET_KEY") });
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk" }))).toMatchObject({ on: false, reason: expect.stringContaining("STRIPE_METERS") });
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: "{" }))).toMatchObject({ on: false });
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: '{"peakConnections":"x"}' }))).toMatchObject({ on: false });
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: '{"requests":""}' }))).toMatchObject({ on: false });
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: "{}" }))).toMatchObject({ on: false });
  });

  it("maps usage fields to event names, against Stripe's API unless told otherwise", () => {
    expect(stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: '{"requests":"r","writeOps":"w"}' }))).toEqual({
      on: true,
      config: { secretKey: "sk", apiBase: "https://api.stripe.com", meters: [{ field: "requests", eventName: "r" }, { field: "writeOps", eventName: "w" }] },
    });
    const local = stripeExportSetting(env({ STRIPE_SECRET_KEY: "sk", STRIPE_METERS: '{"requests":"r"}', STRIPE_API_BASE: "http://127.0.0.1:9/" }));
    expect(local.on && local.config.apiBase).toBe("http://127.0.0.1:9");
  });

  it("exports an hour two minutes after it ends, within 35 days, under an identifier Stripe accepts", () => {
    expect(lastClosedHour(new Date("2026-12-03T10:01:00Z")).toISOString()).toBe("2026-12-03T08:00:00.000Z");
    expect(lastClosedHour(new Date("2026-12-03T10:02:00Z")).toISOString()).toBe("2026-12-03T09:00:00.000Z");
    const now = new Date("2026-12-03T10:00:00Z");
    expect(withinStripeWindow(new Date(now.getTime() - 34 * 86_400_000), now)).toBe(true);
    expect(withinStripeWindow(new Date(now.getTime() - 35 * 86_400_000), now)).toBe(false);
    const id = meterEventIdentifier("ten_01m8z3dk06b6txfgemr19a98yf", "connectionSeconds", new Date("2026-12-03T09:00:00Z"));
    expect(id).toBe("ten_01m8z3dk06b6txfgemr19a98yf:connectionSeconds:2026-12-03T09:00:00.000Z");
    expect(id.length).toBeLessThanOrEqual(100);
  });
});
