import { describe, expect, it } from "vitest";
import { admin, call, eventually, expectProblem } from "../../support/api.ts";
import { activeTenant } from "../../support/tenants.ts";

const STRUCTURED_POLICY = /^"burst";q=\d+;w=1(, "daily";q=\d+;w=86400)?$/;
const STRUCTURED_STATE = /^"burst";r=\d+;t=\d+(, "daily";r=\d+;t=\d+)?$/;

describe("tenant credentials at the edge (GET /v1/me)", () => {
  it("GET /v1/me answers with the key's tenant, limits, features and rate-limit headers", async () => {
    const t = await activeTenant({ plan: "pro" });
    const response = await t.call("GET", "/v1/me");
    expect(response.status).toBe(200);
    expect(response.body.tenant).toEqual({ id: t.id, name: t.tenant.name, plan: "pro", status: "active", isolation: "shared" });
    expect(response.body.limits.requestsPerSecond).toBe(100);
    expect(response.body.features).toEqual(["realtime", "secrets"]);
    expect(response.headers.get("ratelimit-policy")).toMatch(STRUCTURED_POLICY);
    expect(response.headers.get("ratelimit-policy")).toBe('"burst";q=200;w=1, "daily";q=100000;w=86400');
    expect(response.headers.get("ratelimit")).toMatch(STRUCTURED_STATE);
  });

  it.each([
    ["no header", undefined],
    ["not bearer", "Basic abc"],
    ["empty bearer", "Bearer "],
    ["unknown key", "Bearer tk_1111111111111111111111111111111"],
    ["malformed", "Bearer not-a-credential"],
    ["garbage jwt", "Bearer aaa.bbb.ccc"],
  ])("refuses %s with 401 unauthenticated", async (_label, authorization) => {
    const response = await call("GET", "/v1/me", { headers: authorization ? { Authorization: authorization } : {} });
    expectProblem(response, 401, "unauthenticated");
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("does not accept the admin token as a tenant credential", async () => {
    expectProblem(await admin("GET", "/v1/me"), 401, "unauthenticated");
  });

  it("audits and refuses an X-Tenant-Id that names another tenant", async () => {
    const a = await activeTenant();
    const b = await activeTenant();
    const response = await a.call("GET", "/v1/me", { headers: { "X-Tenant-Id": b.id } });
    expectProblem(response, 403, "tenant_mismatch");
    expect(response.headers.get("ratelimit")).toMatch(/^"burst";r=\d+;t=\d+/);
    expect((await a.call("GET", "/v1/me", { headers: { "X-Tenant-Id": a.id } })).status).toBe(200);
    const audit = await admin("GET", `/v1/tenants/${a.id}/audit?action=security.tenant_mismatch`);
    expect(audit.status).toBe(200);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].details.namedTenant).toBe(b.id);
    const other = await admin("GET", `/v1/tenants/${b.id}/audit?action=security.tenant_mismatch`);
    expect(other.body.data).toHaveLength(0);
  });

  it("accepts a tenant token and refuses a forged or expired one", async () => {
    const t = await activeTenant();
    const issued = await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "user-1", scopes: ["read"], ttlSeconds: 60 } });
    expect(issued.status).toBe(201);
    const ok = await call("GET", "/v1/me", { token: issued.body.token });
    expect(ok.status).toBe(200);
    expect(ok.body.tenant.id).toBe(t.id);

    const [header, payload] = issued.body.token.split(".");
    expectProblem(await call("GET", "/v1/me", { token: `${header}.${payload}.AAAA` }), 401, "unauthenticated");
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), tid: "ten_other" })).toString("base64url");
    expectProblem(await call("GET", "/v1/me", { token: `${header}.${tampered}.${issued.body.token.split(".")[2]}` }), 401, "unauthenticated");

    const short = await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "user-2", ttlSeconds: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expectProblem(await call("GET", "/v1/me", { token: short.body.token }), 401, "unauthenticated");
  });

  it("holds a read-only credential to reads", async () => {
    const t = await activeTenant();
    const issued = await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "reader", scopes: ["read"] } });
    const write = await call("PUT", "/v1/maps/notes/a", { token: issued.body.token, body: { x: 1 } });
    expectProblem(write, 403, "forbidden");
    expect(write.headers.get("ratelimit")).toBeTruthy();
  });
});

describe("changes reach every edge within 1 second", () => {
  async function timeUntil(check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    await eventually(async () => (await check()) || undefined, 5000, 25);
    return Date.now() - started;
  }

  it("a revoked key stops working", async () => {
    const t = await activeTenant();
    const created = await admin("POST", `/v1/tenants/${t.id}/keys`, { body: { name: "to-revoke" } });
    expect(created.status).toBe(201);
    expect((await call("GET", "/v1/me", { token: created.body.key })).status).toBe(200);
    expect((await admin("DELETE", `/v1/tenants/${t.id}/keys/${created.body.id}`)).status).toBe(204);
    const elapsed = await timeUntil(async () => (await call("GET", "/v1/me", { token: created.body.key })).status === 401);
    expect(elapsed).toBeLessThan(1000);
    expect((await t.call("GET", "/v1/me")).status).toBe(200);
  });

  it("a revoked key stops working within a second even while its tenant is refused before the app (quota used up)", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { requestsPerDay: 1 } });
    const created = await admin("POST", `/v1/tenants/${t.id}/keys`, { body: { name: "to-revoke" } });
    expect((await call("GET", "/v1/me", { token: created.body.key })).status).toBe(200);
    // The quota is used up for the day: this isolate now refuses the key before the app runs.
    expectProblem(await call("GET", "/v1/me", { token: created.body.key }), 429, "quota_exceeded");
    expect((await admin("DELETE", `/v1/tenants/${t.id}/keys/${created.body.id}`)).status).toBe(204);
    const elapsed = await timeUntil(async () => (await call("GET", "/v1/me", { token: created.body.key })).status === 401);
    // The contract's second, plus the polling's own request on a busy machine.
    expect(elapsed).toBeLessThan(1250);
  });

  it("a suspension closes writes and a resumption reopens them", async () => {
    const t = await activeTenant();
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } })).status).toBe(200);
    const suspendedIn = await timeUntil(async () => (await t.call("PUT", "/v1/maps/m/k", { body: 1 })).status === 403);
    expect(suspendedIn).toBeLessThan(1000);
    expectProblem(await t.call("PUT", "/v1/maps/m/k", { body: 1 }), 403, "tenant_suspended");
    expect((await t.call("GET", "/v1/me")).status).toBe(200);

    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "active" } })).status).toBe(200);
    const resumedIn = await timeUntil(async () => (await t.call("PUT", "/v1/maps/m/k", { body: 1 })).status === 200);
    expect(resumedIn).toBeLessThan(1000);
  });

  it("a suspension holds from the control plane's answer even while the isolate admits with its grant", async () => {
    const t = await activeTenant({ plan: "pro" });
    for (let i = 0; i < 3; i++) expect((await t.call("PUT", "/v1/maps/m/k", { body: i })).status).toBe(200);
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } })).status).toBe(200);
    expectProblem(await t.call("PUT", "/v1/maps/m/k", { body: 9 }), 403, "tenant_suspended");
    expect((await t.call("GET", "/v1/maps/m/k")).body).toMatchObject({ value: 2 });
  });

  it("an override and a plan change show in limits", async () => {
    const t = await activeTenant({ plan: "free" });
    expect((await t.call("GET", "/v1/me")).body.limits.burst).toBe(20);
    await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { burst: 77 } } });
    const overriddenIn = await timeUntil(async () => (await t.call("GET", "/v1/me")).body.limits.burst === 77);
    expect(overriddenIn).toBeLessThan(1000);
    await admin("PATCH", `/v1/tenants/${t.id}`, { body: { plan: "pro", overrides: { burst: null } } });
    const upgradedIn = await timeUntil(async () => (await t.call("GET", "/v1/me")).body.tenant.plan === "pro");
    expect(upgradedIn).toBeLessThan(1000);
    const me = await t.call("GET", "/v1/me");
    expect(me.body.limits.burst).toBe(200);
    expect(me.headers.get("ratelimit-policy")).toContain('"burst";q=200;w=1');
  });

  it("a deleted tenant's key and tokens are refused at once", async () => {
    const t = await activeTenant();
    const token = (await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "u" } })).body.token;
    expect((await call("GET", "/v1/me", { token })).status).toBe(200);
    expect((await admin("DELETE", `/v1/tenants/${t.id}`)).status).toBe(202);
    const keyGone = await timeUntil(async () => (await t.call("GET", "/v1/me")).status === 401);
    const tokenGone = await timeUntil(async () => (await call("GET", "/v1/me", { token })).status === 401);
    expect(keyGone).toBeLessThan(1000);
    expect(tokenGone).toBeLessThan(1000);
  });
});
