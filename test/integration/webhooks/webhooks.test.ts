// The webhook endpoints API (/v1/webhooks…) and delivery: events from the outbox, Standard Webhooks
// signatures checked with the `standardwebhooks` library, retries, disabling, usage.hourly, quota.exhausted.
import type pg from "pg";
import { Webhook } from "standardwebhooks";
import { verifyWebhookMessage } from "../../../sdk/src/webhooks.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, call, createTenant, eventually, expectProblem } from "../../support/api.ts";
import { sleep, triggerScheduled } from "../../support/control-plane.ts";
import { ownerPool } from "../../support/postgres.ts";
import { activeTenant } from "../../support/tenants.ts";
import { startReceiver, type Receiver } from "../../support/webhook-receiver.ts";

// Compressed by the suite's variables (test/support/global-setup.ts).
const RETRY_SCHEDULE_MS = [1000, 2000, 3000];
const TIMEOUT_MS = 1500;
const DISABLE_AFTER_MS = 14_000;

let receiver: Receiver;
let db: pg.Pool;
const created: string[] = [];

async function createEndpoint(path: string, events: string[], description?: string) {
  const response = await admin("POST", "/v1/webhooks", { body: { url: receiver.url(path), events, ...(description ? { description } : {}) } });
  expect(response.status, response.text).toBe(201);
  created.push(response.body.id);
  return response.body as { id: string; secret: string; url: string; events: string[]; disabled: boolean };
}

const headersOf = (entry: { headers: Record<string, unknown> }) => ({
  "webhook-id": String(entry.headers["webhook-id"]),
  "webhook-timestamp": String(entry.headers["webhook-timestamp"]),
  "webhook-signature": String(entry.headers["webhook-signature"]),
});

const deliveries = (id: string, query = "") => admin("GET", `/v1/webhooks/${id}/deliveries${query}`);

/** tenantry_webhook_deliveries_total by result, from /metrics. */
async function deliveryTotals(): Promise<Record<string, number>> {
  const text = (await admin("GET", "/metrics")).text;
  return Object.fromEntries([...text.matchAll(/^tenantry_webhook_deliveries_total\{result="(\w+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

beforeAll(async () => {
  receiver = await startReceiver();
  db = ownerPool();
});

afterAll(async () => {
  // Later suites must not deliver to a receiver that is gone.
  for (const id of created) await admin("DELETE", `/v1/webhooks/${id}`);
  await receiver?.close();
  await db?.end();
});

describe("POST /v1/webhooks, GET /v1/webhooks, GET/PATCH/DELETE /v1/webhooks/{id}", () => {
  it("answers 401 without the admin token on every route", async () => {
    const routes: Array<[string, string]> = [
      ["POST", "/v1/webhooks"],
      ["GET", "/v1/webhooks"],
      ["GET", "/v1/webhooks/whk_x"],
      ["PATCH", "/v1/webhooks/whk_x"],
      ["DELETE", "/v1/webhooks/whk_x"],
      ["POST", "/v1/webhooks/whk_x/rotate-secret"],
      ["POST", "/v1/webhooks/whk_x/test"],
      ["GET", "/v1/webhooks/whk_x/deliveries"],
    ];
    for (const [method, path] of routes) {
      expectProblem(await call(method, path, { body: method === "POST" || method === "PATCH" ? {} : undefined }), 401, "unauthenticated");
      expectProblem(await call(method, path, { token: "not-the-admin-token" }), 401, "unauthenticated");
    }
  });

  it("creates, shows (never the secret again), lists, changes and deletes an endpoint", async () => {
    const endpoint = await createEndpoint("/crud", ["tenant.created"], "billing system");
    expect(endpoint.id).toMatch(/^whk_/);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(endpoint.secret.slice(6), "base64").length).toBe(32);
    expect(endpoint).toMatchObject({ url: receiver.url("/crud"), events: ["tenant.created"], description: "billing system", disabled: false });

    const shown = await admin("GET", `/v1/webhooks/${endpoint.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toBeUndefined();
    expect(shown.text).not.toContain(endpoint.secret.slice(6));
    const list = await admin("GET", "/v1/webhooks");
    expect(list.body.data.map((entry: any) => entry.id)).toContain(endpoint.id);
    expect(list.text).not.toContain(endpoint.secret.slice(6));

    // Stored sealed, not in the clear.
    const stored = await db.query("select secret_box from webhook_endpoints where id = $1", [endpoint.id]);
    expect(stored.rows[0].secret_box).not.toContain(endpoint.secret.slice(6));

    const patched = await admin("PATCH", `/v1/webhooks/${endpoint.id}`, { body: { events: ["*"], description: null, disabled: true } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ events: ["*"], description: null, disabled: true });

    expect((await admin("DELETE", `/v1/webhooks/${endpoint.id}`)).status).toBe(204);
    expectProblem(await admin("GET", `/v1/webhooks/${endpoint.id}`), 404, "not_found");
    expectProblem(await admin("DELETE", `/v1/webhooks/${endpoint.id}`), 404, "not_found");
  });

  it("refuses bad input with 400 problem documents naming the field", async () => {
    const bad: Array<[unknown, string]> = [
      [{ url: "http://example.com/hook", events: ["tenant.created"] }, "body.url"],
      [{ url: "ftp://127.0.0.1/hook", events: ["tenant.created"] }, "body.url"],
      [{ url: "not a url", events: ["tenant.created"] }, "body.url"],
      [{ url: "https://user:pw@example.com/hook", events: ["tenant.created"] }, "body.url"],
      [{ url: receiver.url("/x"), events: ["tenant.nope"] }, "body.events.0"],
      [{ url: receiver.url("/x"), events: [] }, "body.events"],
      [{ url: receiver.url("/x"), events: ["*", "tenant.created"] }, "body.events"],
      [{ url: receiver.url("/x") }, "body.events"],
      [{ url: receiver.url("/x"), events: ["*"], extra: 1 }, "body"],
    ];
    for (const [body, path] of bad) {
      const problem = expectProblem(await admin("POST", "/v1/webhooks", { body }), 400, "invalid_request");
      expect((problem.errors as any[]).map((error) => error.path), JSON.stringify(body)).toContain(path);
    }
    const endpoint = await createEndpoint("/bad-input", ["webhook.test"]);
    expectProblem(await admin("PATCH", `/v1/webhooks/${endpoint.id}`, { body: { url: "http://10.0.0.1/x" } }), 400, "invalid_request");
    expectProblem(await admin("PATCH", `/v1/webhooks/${endpoint.id}`, { body: { disabled: "yes" } }), 400, "invalid_request");
    expectProblem(await deliveries(endpoint.id, "?status=lost"), 400, "invalid_request");
    expectProblem(await deliveries(endpoint.id, "?limit=0"), 400, "invalid_request");
    expectProblem(await deliveries(endpoint.id, "?cursor=%%%"), 400, "invalid_request");
    expectProblem(await admin("POST", "/v1/webhooks/whk_unknown/test"), 404, "not_found");
    expectProblem(await admin("POST", "/v1/webhooks", { rawBody: "{", headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
  });

  it("documents every route in /openapi.json with its operationId and the admin token", async () => {
    const spec = (await call("GET", "/openapi.json")).body;
    const operations: Record<string, [string, string]> = {
      "webhooks.create": ["/v1/webhooks", "post"],
      "webhooks.list": ["/v1/webhooks", "get"],
      "webhooks.get": ["/v1/webhooks/{id}", "get"],
      "webhooks.update": ["/v1/webhooks/{id}", "patch"],
      "webhooks.delete": ["/v1/webhooks/{id}", "delete"],
      "webhooks.rotateSecret": ["/v1/webhooks/{id}/rotate-secret", "post"],
      "webhooks.test": ["/v1/webhooks/{id}/test", "post"],
      "webhooks.deliveries": ["/v1/webhooks/{id}/deliveries", "get"],
    };
    for (const [operationId, [path, method]] of Object.entries(operations)) {
      const operation = spec.paths[path]?.[method];
      expect(operation?.operationId, `${method} ${path}`).toBe(operationId);
      expect(operation.security).toEqual([{ adminToken: [] }]);
    }
  });
});

describe("webhook delivery, POST /v1/webhooks/{id}/test, POST /v1/webhooks/{id}/rotate-secret, GET /v1/webhooks/{id}/deliveries", () => {
  it("sends tenant and key events, signed as Standard Webhooks, with the tenant as the API shows it", async () => {
    const endpoint = await createEndpoint("/lifecycle", ["tenant.created", "tenant.activated", "tenant.updated", "key.created", "key.revoked"]);
    const { tenant, apiKey } = await createTenant({ name: "webhook-lifecycle" });
    const verifier = new Webhook(endpoint.secret);
    const mine = () => receiver.received("/lifecycle").filter((entry) => JSON.stringify(entry.json?.data ?? {}).includes(tenant.id));
    const byType = (type: string) => mine().find((entry) => entry.json.type === type);

    await eventually(async () => byType("tenant.created") && byType("key.created") && byType("tenant.activated"), 30_000);
    for (const entry of mine()) {
      const payload = verifier.verify(entry.body, headersOf(entry)) as any;
      expect(payload.id).toBe(entry.headers["webhook-id"]);
      expect(payload.id).toMatch(/^msg_/);
      expect(Math.abs(Number(entry.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(120);
      expect(Object.keys(payload).sort()).toEqual(["data", "id", "timestamp", "type"]);
    }
    const createdEvent = byType("tenant.created")!.json;
    expect(createdEvent.data.tenant).toMatchObject({ id: tenant.id, name: "webhook-lifecycle", status: "pending" });
    expect(byType("tenant.activated")!.json.data.tenant.status).toBe("active");
    const keyEvent = byType("key.created")!.json;
    expect(keyEvent.data.key).toMatchObject({ id: apiKey.id, scopes: ["read", "write"] });
    expect(keyEvent.data.key.key).toBeUndefined();
    expect(byType("key.created")!.body).not.toContain(apiKey.key);

    const patched = await admin("PATCH", `/v1/tenants/${tenant.id}`, { body: { name: "webhook-lifecycle-renamed" } });
    expect(patched.status).toBe(200);
    await eventually(async () => byType("tenant.updated"));
    expect(byType("tenant.updated")!.json.data.tenant.name).toBe("webhook-lifecycle-renamed");
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${apiKey.id}`)).status).toBe(204);
    await eventually(async () => byType("key.revoked"));
    expect(byType("key.revoked")!.json.data.key.revokedAt).not.toBeNull();
    // Subscribed types only.
    expect(mine().every((entry) => endpoint.events.includes(entry.json.type))).toBe(true);

    const log = await deliveries(endpoint.id, "?status=delivered&limit=100");
    expect(log.status).toBe(200);
    const messageIds = log.body.data.map((delivery: any) => delivery.messageId);
    for (const entry of mine()) expect(messageIds).toContain(entry.json.id);
  });

  it("retries a 500 and a timeout on the schedule, with the same webhook-id, until a 200", async () => {
    const endpoint = await createEndpoint("/flaky", ["webhook.test"]);
    receiver.script("/flaky", ["500", "hang", "200"]);
    const totalsBefore = await deliveryTotals();
    const sent = await admin("POST", `/v1/webhooks/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.stringMatching(/^msg_/), type: "webhook.test" });

    const attempts = await eventually(async () => (receiver.received("/flaky").length >= 3 ? receiver.received("/flaky") : undefined), 30_000);
    expect(attempts.map((entry) => entry.answered)).toEqual(["500", "hang", "200"]);
    const verifier = new Webhook(endpoint.secret);
    for (const entry of attempts) {
      expect(entry.headers["webhook-id"]).toBe(sent.body.id);
      expect(entry.json).toMatchObject({ id: sent.body.id, type: "webhook.test" });
      verifier.verify(entry.body, headersOf(entry));
    }
    // The same body byte for byte on every attempt.
    expect(new Set(attempts.map((entry) => entry.body)).size).toBe(1);
    // Second attempt after the first delay; third after the deadline of the hung one plus the second delay.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[0]! - 100);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS + RETRY_SCHEDULE_MS[1]! - 100);

    const log = await eventually(async () => {
      const page = await deliveries(endpoint.id);
      return page.body.data[0]?.status === "delivered" ? page : undefined;
    });
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({ messageId: sent.body.id, type: "webhook.test", attempt: 3, status: "delivered", responseStatus: 200, error: null });
    expect(log.body.nextCursor).toBeNull();
    expect((await deliveries(endpoint.id, "?status=failed")).body.data).toHaveLength(0);
    await sleep(1500);
    expect(receiver.received("/flaky")).toHaveLength(3);
    // Counted in /metrics: two retried attempts and one delivered (other suites' deliveries may add more).
    const totalsAfter = await deliveryTotals();
    expect(totalsAfter.delivered! - totalsBefore.delivered!).toBeGreaterThanOrEqual(1);
    expect(totalsAfter.retried! - totalsBefore.retried!).toBeGreaterThanOrEqual(2);
  });

  it("gives up after the last retry, then disables an endpoint whose every delivery failed for the window, and audits it", async () => {
    const endpoint = await createEndpoint("/down", ["webhook.test"]);
    receiver.script("/down", ["500"]);
    const first = await admin("POST", `/v1/webhooks/${endpoint.id}/test`);
    expect(first.status).toBe(202);
    const failed = await eventually(async () => {
      const page = await deliveries(endpoint.id, "?status=failed");
      return page.body.data.length === 1 ? page.body.data[0] : undefined;
    }, 30_000);
    expect(failed).toMatchObject({ messageId: first.body.id, attempt: RETRY_SCHEDULE_MS.length + 1, status: "failed", responseStatus: 500, error: "HTTP 500" });
    expect(receiver.received("/down")).toHaveLength(RETRY_SCHEDULE_MS.length + 1);

    // Still failing past the (compressed) window: the next failed attempt disables it. (The window is
    // longer than the whole retry schedule, so a slow machine cannot disable it before the last retry.)
    await sleep(Math.max(0, receiver.received("/down")[0]!.at + DISABLE_AFTER_MS - Date.now()));
    const second = await admin("POST", `/v1/webhooks/${endpoint.id}/test`);
    expect(second.status).toBe(202);
    const disabled = await eventually(async () => {
      const shown = await admin("GET", `/v1/webhooks/${endpoint.id}`);
      return shown.body.disabled ? shown.body : undefined;
    }, 30_000);
    expect(disabled.disabledReason).toMatch(/failed/);
    const audit = await db.query("select actor, details from audit_events where action = 'webhook.disabled' and details->>'endpointId' = $1", [endpoint.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].actor).toBe("system");
    expectProblem(await admin("POST", `/v1/webhooks/${endpoint.id}/test`), 409, "conflict");

    // The log pages newest first.
    const page1 = await deliveries(endpoint.id, "?limit=1");
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.data[0].messageId).toBe(second.body.id);
    const page2 = await deliveries(endpoint.id, `?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.data[0].messageId).toBe(first.body.id);
    expect(page2.body.nextCursor).toBeNull();

    const enabled = await admin("PATCH", `/v1/webhooks/${endpoint.id}`, { body: { disabled: false } });
    expect(enabled.body).toMatchObject({ disabled: false, disabledReason: null });
  });

  it("signs with both secrets for a day after a rotation, each signature with its own secret", async () => {
    const endpoint = await createEndpoint("/rotated", ["webhook.test"]);
    const rotated = await admin("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect((await admin("POST", `/v1/webhooks/${endpoint.id}/test`)).status).toBe(202);
    const [entry] = await eventually(async () => (receiver.received("/rotated").length ? receiver.received("/rotated") : undefined));
    const headers = headersOf(entry!);
    const signatures = headers["webhook-signature"].split(" ");
    expect(signatures).toHaveLength(2);
    expect(signatures.every((signature) => signature.startsWith("v1,"))).toBe(true);
    const [newer, older] = signatures;
    new Webhook(rotated.body.secret).verify(entry!.body, { ...headers, "webhook-signature": newer! });
    new Webhook(endpoint.secret).verify(entry!.body, { ...headers, "webhook-signature": older! });
    expect(() => new Webhook(rotated.body.secret).verify(entry!.body, { ...headers, "webhook-signature": older! })).toThrow();
    expect(() => new Webhook(endpoint.secret).verify(entry!.body, { ...headers, "webhook-signature": newer! })).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(entry!.body, headers)).toThrow();

    // The SDK's verifier agrees: each secret alone verifies the two-signature header; a stranger's,
    // a changed body or an old timestamp do not.
    const message = (body: string, at = headers["webhook-timestamp"]) => ({
      body,
      header: (name: string) => ({ ...headers, "webhook-timestamp": at })[name as keyof typeof headers] ?? null,
    });
    for (const secret of [rotated.body.secret, endpoint.secret]) {
      const verified = await verifyWebhookMessage(message(entry!.body), secret);
      expect(verified).toMatchObject({ ok: true, event: { type: "webhook.test", id: headers["webhook-id"] } });
    }
    expect((await verifyWebhookMessage(message(entry!.body), `whsec_${Buffer.alloc(32, 7).toString("base64")}`)).ok).toBe(false);
    expect((await verifyWebhookMessage(message(entry!.body.replace("webhook.test", "webhook.tesT")), endpoint.secret)).ok).toBe(false);
    expect((await verifyWebhookMessage(message(entry!.body, String(Number(headers["webhook-timestamp"]) - 3600)), endpoint.secret)).ok).toBe(false);
  });
});

describe("webhook events from the outbox (rollback, crash, usage.hourly, quota.exhausted)", () => {
  it("sends nothing for a change that rolled back", async () => {
    const endpoint = await createEndpoint("/rollback", ["tenant.updated"]);
    const t = await activeTenant({ name: "webhook-rollback" });
    // A check at commit time refuses the name: the update, its audit entry and its event all roll back.
    await db.query(`
      create or replace function webhook_test_refuse() returns trigger language plpgsql as $$
      begin if new.name = 'refused-at-commit' then raise exception 'refused by the test'; end if; return new; end $$`);
    await db.query("drop trigger if exists webhook_test_refuse on tenants");
    await db.query(
      "create constraint trigger webhook_test_refuse after update on tenants deferrable initially deferred for each row execute function webhook_test_refuse()",
    );
    try {
      const refused = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { name: "refused-at-commit" } });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      const accepted = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { name: "accepted" } });
      expect(accepted.status).toBe(200);
    } finally {
      await db.query("drop trigger if exists webhook_test_refuse on tenants");
      await db.query("drop function if exists webhook_test_refuse()");
    }
    await eventually(async () => receiver.received("/rollback").some((entry) => entry.json.data.tenant.name === "accepted"));
    await triggerScheduled();
    await sleep(1000);
    expect(receiver.received("/rollback").filter((entry) => entry.body.includes("refused-at-commit"))).toHaveLength(0);
    const rows = await db.query("select id from webhook_events where body like '%refused-at-commit%'");
    expect(rows.rows).toHaveLength(0);
    expect((await admin("GET", `/v1/tenants/${t.id}`)).body.name).toBe("accepted");
    expect((await deliveries(endpoint.id)).body.data).toHaveLength(1);
  });

  it("keeps an event committed by a Worker that died before relaying it, and the cron sends it", async () => {
    await createEndpoint("/crash", ["tenant.suspended"]);
    const t = await activeTenant({ name: "webhook-crash" });
    const suspended = await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" }, headers: { "X-Test-Skip-Relay": "1", "X-Test-Hooks": adminToken() } });
    expect(suspended.status).toBe(200);
    const pending = await db.query("select relayed_at from webhook_events where type = 'tenant.suspended' and tenant_id = $1", [t.id]);
    expect(pending.rows).toHaveLength(1);
    await sleep(1500);
    expect(receiver.received("/crash")).toHaveLength(0);
    await triggerScheduled();
    const [entry] = await eventually(async () => (receiver.received("/crash").length ? receiver.received("/crash") : undefined), 15_000);
    expect(entry!.json).toMatchObject({ type: "tenant.suspended", data: { tenant: { id: t.id, status: "suspended" } } });
  });

  it("sends usage.hourly once per tenant and closed hour, however often the job runs", async () => {
    await createEndpoint("/usage", ["usage.hourly"]);
    const { tenant } = await createTenant({ name: "webhook-usage" });
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000);
    const minute = (offset: number) => new Date(hour.getTime() + offset * 60_000).toISOString();
    await db.query(
      "insert into usage_minutes (tenant_id, minute, requests, write_ops, bytes_in) values ($1, $2, 7, 2, 100), ($1, $3, 5, 1, 50)",
      [tenant.id, minute(3), minute(59)],
    );
    await triggerScheduled();
    await triggerScheduled();
    const mine = () => receiver.received("/usage").filter((entry) => entry.json.data.tenantId === tenant.id);
    await eventually(async () => mine().length > 0, 15_000);
    await triggerScheduled();
    await sleep(2000);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.json.data).toMatchObject({ tenantId: tenant.id, hour: hour.toISOString(), usage: { start: hour.toISOString(), requests: 12, writeOps: 3, bytesIn: 150 } });
  });

  it("sends quota.exhausted on a tenant's first quota refusal of the day only", async () => {
    await createEndpoint("/quota", ["quota.exhausted"]);
    const t = await activeTenant({ name: "webhook-quota", overrides: { requestsPerDay: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await t.call("GET", "/v1/me")).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(3);
    const mine = () => receiver.received("/quota").filter((entry) => entry.json.data.tenantId === t.id);
    await eventually(async () => mine().length > 0, 15_000);
    for (let i = 0; i < 3; i++) await t.call("GET", "/v1/me");
    await sleep(1500);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.json.data).toMatchObject({ tenantId: t.id, day: new Date().toISOString().slice(0, 10), limit: { requestsPerDay: 2 } });
  });
});
