import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signatureHeader } from "../../src/webhooks/secrets.ts";
import { webhookSettings, DEFAULT_RETRY_SCHEDULE_MS } from "../../src/webhooks/settings.ts";
import { checkEndpointUrl } from "../../src/webhooks/url-rules.ts";

describe("webhook signatures", () => {
  it("are what the standardwebhooks library verifies, one v1 entry per secret", async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ id: "msg_1", type: "webhook.test", timestamp: new Date().toISOString(), data: { é: "ü" } });
    const timestamp = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([current, previous], "msg_1", timestamp, body);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(timestamp), "webhook-signature": header };
    expect(header.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ id: "msg_1" });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ id: "msg_1" });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body + " ", headers)).toThrow();
  });
});

describe("webhook settings and URL rules", () => {
  it("default to the contract's schedule and take a compressed one from the variable", () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([5_000, 30_000, 120_000, 600_000, 1_800_000, 7_200_000, 21_600_000]);
    expect(webhookSettings({} as Env)).toMatchObject({ timeoutMs: 15_000, disableAfterMs: 259_200_000 });
    expect(webhookSettings({ WEBHOOK_RETRY_SCHEDULE_MS: "10, 20" } as Env).retryScheduleMs).toEqual([10, 20]);
    expect(webhookSettings({ WEBHOOK_RETRY_SCHEDULE_MS: "x" } as Env).retryScheduleMs).toEqual(DEFAULT_RETRY_SCHEDULE_MS);
  });

  it("take https anywhere and plain http to this machine in development only", () => {
    expect(checkEndpointUrl("https://example.com/hook", "production")).toBe("https://example.com/hook");
    expect(checkEndpointUrl("http://127.0.0.1:9000/x", "development")).toBe("http://127.0.0.1:9000/x");
    expect(checkEndpointUrl("http://localhost/x", "development")).toBe("http://localhost/x");
    expect(() => checkEndpointUrl("http://127.0.0.1:9000/x", "production")).toThrow();
    expect(() => checkEndpointUrl("http://example.com/x", "development")).toThrow();
    expect(() => checkEndpointUrl("http://127.0.0.1.example.com/x", "development")).toThrow();
  });
});
