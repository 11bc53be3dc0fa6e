import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, baseUrl, call, eventually, expectProblem } from "../../support/api.ts";
import { startTestOrigin, type TestOrigin } from "../../support/gateway-origin.ts";
import { rawRequest } from "../../support/raw-http.ts";
import { activeTenant } from "../../support/tenants.ts";
import { freePort } from "../../../scripts/stack/ports.ts";

let origin: TestOrigin;
beforeAll(async () => {
  origin = await startTestOrigin();
});
afterAll(async () => {
  await origin?.close();
});

const lastReceived = () => origin.received.at(-1)!;

async function totals(tenantId: string) {
  expect((await admin("POST", `/v1/tenants/${tenantId}/usage/flush`)).status).toBe(200);
  return (await admin("GET", `/v1/tenants/${tenantId}/usage?granularity=day`)).body.totals;
}

describe("tenant gateway and billing fields", () => {
  it("are shown, set at creation, merged by PATCH and removed by null", async () => {
    const created = await admin("POST", "/v1/tenants", {
      body: { name: "gw fields", plan: "pro", gateway: { origin: `${origin.url}/` }, billing: { stripeCustomerId: "cus_Abc123" } },
    });
    expect(created.status).toBe(202);
    const id = created.body.tenant.id;
    expect(created.body.tenant.gateway).toEqual({ origin: origin.url, timeoutMs: 30000 });
    expect(created.body.tenant.billing).toEqual({ stripeCustomerId: "cus_Abc123" });

    const patched = await admin("PATCH", `/v1/tenants/${id}`, { body: { gateway: { timeoutMs: 5000 } } });
    expect(patched.status).toBe(200);
    expect(patched.body.gateway).toEqual({ origin: origin.url, timeoutMs: 5000 });
    const reset = await admin("PATCH", `/v1/tenants/${id}`, { body: { gateway: { timeoutMs: null }, billing: { stripeCustomerId: "cus_Other" } } });
    expect(reset.body.gateway).toEqual({ origin: origin.url, timeoutMs: 30000 });
    expect(reset.body.billing).toEqual({ stripeCustomerId: "cus_Other" });
    const removed = await admin("PATCH", `/v1/tenants/${id}`, { body: { gateway: null, billing: null } });
    expect(removed.body.gateway).toBeNull();
    expect(removed.body.billing).toBeNull();
    expect((await admin("GET", `/v1/tenants/${id}`)).body).toMatchObject({ gateway: null, billing: null });

    const plain = await admin("POST", "/v1/tenants", { body: { name: "no gateway", plan: "free" } });
    expect(plain.body.tenant).toMatchObject({ gateway: null, billing: null });
    // A timeout alone has nowhere to go.
    const noOrigin = await admin("PATCH", `/v1/tenants/${plain.body.tenant.id}`, { body: { gateway: { timeoutMs: 2000 } } });
    expect(expectProblem(noOrigin, 400, "invalid_request").errors).toEqual([expect.objectContaining({ path: "body.gateway.origin" })]);
  });

  it("refuses origins and timeouts outside the contract with field paths", async () => {
    const bad: Array<[unknown, string]> = [
      [{ origin: "http://example.com" }, "body.gateway.origin"],
      [{ origin: "http://127.0.0.1" }, "body.gateway.origin"],
      [{ origin: "http://127.0.0.1:0" }, "body.gateway.origin"],
      [{ origin: "https://example.com:0" }, "body.gateway.origin"],
      [{ origin: "ftp://example.com" }, "body.gateway.origin"],
      [{ origin: "https://user:pw@example.com" }, "body.gateway.origin"],
      [{ origin: "https://example.com/?q=1" }, "body.gateway.origin"],
      [{ origin: "not a url" }, "body.gateway.origin"],
      [{ origin: "https://example.com", timeoutMs: 999 }, "body.gateway.timeoutMs"],
      [{ origin: "https://example.com", timeoutMs: 60001 }, "body.gateway.timeoutMs"],
      [{ origin: "https://example.com", extra: 1 }, "body.gateway"],
    ];
    for (const [gateway, path] of bad) {
      const response = await admin("POST", "/v1/tenants", { body: { name: "bad", plan: "free", gateway } });
      const problem = expectProblem(response, 400, "invalid_request");
      expect((problem.errors as Array<{ path: string }>).map((e) => e.path)).toContain(path);
    }
    const badBilling = await admin("POST", "/v1/tenants", { body: { name: "bad", plan: "free", billing: { stripeCustomerId: "" } } });
    expect((expectProblem(badBilling, 400, "invalid_request").errors as Array<{ path: string }>)[0]!.path).toBe("body.billing.stripeCustomerId");
    const ok = await admin("POST", "/v1/tenants", { body: { name: "ok", plan: "free", gateway: { origin: "https://api.example.com/base/", timeoutMs: 1000 } } });
    expect(ok.body.tenant.gateway).toEqual({ origin: "https://api.example.com/base", timeoutMs: 1000 });
    const local = await admin("POST", "/v1/tenants", { body: { name: "ok", plan: "free", gateway: { origin: "http://localhost:9999" } } });
    expect(local.status).toBe(202);
  });
});

describe("gateway forwarding", () => {
  it("forwards method, path, query, headers and body, and passes the origin's answer back", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url } });
    const response = await fetch(`${baseUrl()}/gw/orders/42%2F7?x=1&y=%20z`, {
      method: "POST",
      headers: { Authorization: `Bearer ${t.key}`, "Content-Type": "text/plain", "X-Custom": "kept", "X-Request-Id": "req-gw-1" },
      body: "hello origin",
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe("POST");
    expect(echoed.url).toBe("/orders/42%2F7?x=1&y=%20z");
    expect(echoed.body).toBe("hello origin");
    expect(echoed.headers["x-custom"]).toBe("kept");
    expect(echoed.headers["content-type"]).toBe("text/plain");
    expect(echoed.headers["tenantry-tenant-id"]).toBe(t.id);
    expect(echoed.headers["tenantry-plan"]).toBe("pro");
    expect(echoed.headers["tenantry-isolation"]).toBe("shared");
    expect(echoed.headers["tenantry-credential"]).toMatch(/^key_/);
    expect(echoed.headers["tenantry-scopes"]).toBe("read,write");
    expect(echoed.headers["tenantry-request-id"]).toBe("req-gw-1");
    expect(echoed.headers.forwarded).toMatch(/^for=[^;]+;proto=http;host="127\.0\.0\.1:\d+"$/);
    expect(echoed.headers["signature-input"]).toMatch(/^tenantry=\("@method" "@target-uri" "tenantry-tenant-id" "tenantry-credential" "tenantry-scopes" "tenantry-request-id"\);created=\d+;keyid="default";alg="hmac-sha256"$/);
    expect(echoed.headers.signature).toMatch(/^tenantry=:[A-Za-z0-9+/]+=*:$/);
    // The answer: the origin's headers, plus the platform's.
    expect(response.headers.get("x-origin")).toBe("test");
    expect(response.headers.get("set-cookie")).toBe("a=1; Path=/, b=2; Path=/");
    // Each cookie on its own line, as the origin sent them (cookies cannot be joined with commas).
    expect((response.headers as unknown as { getSetCookie(): string[] }).getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(response.headers.get("x-request-id")).toBe("req-gw-1");
    expect(response.headers.get("ratelimit")).toMatch(/^"burst";r=\d+;t=\d+/);
    expect(response.headers.get("ratelimit-policy")).toContain('"burst";q=200;w=1');
  });

  it("keeps the origin's own Server-Timing entries, the gateway's phases after them", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url } });
    const response = await fetch(`${baseUrl()}/gw/timed`, { headers: { Authorization: `Bearer ${t.key}` } });
    expect(await response.text()).toBe("timed");
    expect(response.headers.get("server-timing")).toMatch(/^app;dur=12\.5, cache;desc=miss, auth;dur=[\d.]+, .*total;dur=[\d.]+$/);
  });

  it("never lets the credential reach the origin, and removes smuggled headers", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url } });
    const token = (await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "alice", scopes: ["read"] } })).body.token as string;
    // node:http, not fetch: fetch refuses to send hop-by-hop headers at all.
    const response = await rawRequest("GET", "/gw/smuggle", {
      Authorization: `Bearer ${token}`,
      "Tenantry-Tenant-Id": "ten_spoofed",
      "Tenantry-Scopes": "read,write",
      "tenantry-credential": "key_spoofed",
      Connection: "keep-alive, Tenantry-Scopes, X-Hop",
      "X-Hop": "should go",
      "Keep-Alive": "timeout=5",
      "Proxy-Authorization": "Basic abc",
      TE: "trailers",
      Forwarded: "for=6.6.6.6;host=evil.example",
      Upgrade: "h2c",
    });
    expect(response.status).toBe(200);
    const seen = lastReceived();
    expect(seen.url).toBe("/smuggle");
    expect(seen.headers.authorization).toBeUndefined();
    const raw = seen.rawHeaders.join("\n");
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(t.key);
    expect(seen.headers["tenantry-tenant-id"]).toBe(t.id);
    expect(seen.headers["tenantry-scopes"]).toBe("read");
    expect(seen.headers["tenantry-credential"]).toBe("jwt:alice");
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(seen.headers["keep-alive"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers.forwarded).not.toContain("6.6.6.6");
    expect(seen.headers.forwarded).not.toContain("evil.example");
    // Each Tenantry header exactly once: the gateway's.
    expect(seen.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === "tenantry-tenant-id")).toHaveLength(1);
  });

  it("passes an origin 500 through unchanged, answers 504 for a slow origin and 502 for a closed port", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url, timeoutMs: 1000 } });
    const failed = await t.call("GET", "/gw/fail");
    expect(failed.status).toBe(500);
    expect(failed.text).toBe("origin says no");
    expect(failed.headers.get("x-origin-error")).toBe("kaput");
    expect(failed.headers.get("content-type")).toBe("text/plain");

    const started = Date.now();
    const slow = await t.call("GET", "/gw/slow?ms=3000");
    expectProblem(slow, 504, "gateway_timeout");
    expect(Date.now() - started).toBeLessThan(2900);

    const closedPort = await freePort();
    await admin("PATCH", `/v1/tenants/${t.id}`, { body: { gateway: { origin: `http://127.0.0.1:${closedPort}` } } });
    await eventually(async () => (await t.call("GET", "/gw/anything")).status === 502, 3000, 100);
    expectProblem(await t.call("GET", "/gw/anything"), 502, "bad_gateway");
  });

  it("answers 404 without an origin, and follows an origin change within a second", async () => {
    const t = await activeTenant();
    expectProblem(await t.call("GET", "/gw/x"), 404, "not_found");
    const second = await startTestOrigin();
    try {
      await admin("PATCH", `/v1/tenants/${t.id}`, { body: { gateway: { origin: origin.url } } });
      const changedAt = Date.now();
      await eventually(async () => (await t.call("GET", "/gw/first")).status === 200, 1000, 50);
      expect(Date.now() - changedAt).toBeLessThan(1000);
      await admin("PATCH", `/v1/tenants/${t.id}`, { body: { gateway: { origin: second.url } } });
      const movedAt = Date.now();
      await eventually(async () => {
        await t.call("GET", "/gw/second");
        return second.received.some((r) => r.url === "/second");
      }, 1000, 50);
      expect(Date.now() - movedAt).toBeLessThan(1000);
    } finally {
      await second.close();
    }
  });

  it("refuses a suspended tenant's POST and passes its GET; a read key cannot write", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url } });
    const readKey = (await admin("POST", `/v1/tenants/${t.id}/keys`, { body: { name: "ro", scopes: ["read"] } })).body.key as string;
    expectProblem(await call("POST", "/gw/write", { token: readKey, rawBody: "x" }), 403, "forbidden");
    expect((await call("GET", "/gw/read", { token: readKey })).status).toBe(200);
    expectProblem(await call("GET", "/gw/read", { token: "tk_nope" }), 401, "unauthenticated");

    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } })).status).toBe(200);
    const before = origin.received.length;
    await eventually(async () => (await t.call("POST", "/gw/write", { rawBody: "x" })).status === 403, 3000, 100);
    expectProblem(await t.call("POST", "/gw/write", { rawBody: "x" }), 403, "tenant_suspended");
    expect(origin.received.slice(before).some((r) => r.method === "POST")).toBe(false);
    expect((await t.call("GET", "/gw/read")).status).toBe(200);
    expect((await t.call("HEAD", "/gw/read")).status).toBe(200);
  });

  it("counts requests and bytes (not operations) and holds the tenant to its rate", async () => {
    const t = await activeTenant({ plan: "free", gateway: { origin: origin.url }, overrides: { requestsPerSecond: 1, burst: 4 } });
    const bodies = ["a".repeat(100), "b".repeat(200)];
    let bytesOut = 0;
    for (const body of bodies) {
      const response = await t.call("PUT", "/gw/put", { rawBody: body, headers: { "Content-Type": "text/plain" } });
      expect(response.status).toBe(200);
      bytesOut += Buffer.byteLength(response.text);
    }
    const got = await t.call("GET", "/gw/get");
    bytesOut += Buffer.byteLength(got.text);
    const refusals = [];
    for (let i = 0; i < 4; i++) {
      const response = await t.call("GET", "/gw/get");
      if (response.status === 429) refusals.push(response);
      else bytesOut += Buffer.byteLength(response.text);
    }
    expect(refusals.length).toBeGreaterThan(0);
    expectProblem(refusals[0]!, 429, "rate_limited");
    const admitted = 3 + (4 - refusals.length);
    const usage = await totals(t.id);
    expect(usage).toMatchObject({ requests: admitted, rejected: refusals.length, readOps: 0, writeOps: 0, bytesIn: 300 });
    expect(usage.bytesOut).toBe(bytesOut);
  });

  it("holds the concurrency lease until the response has been streamed to its end", async () => {
    const t = await activeTenant({ gateway: { origin: origin.url }, overrides: { maxConcurrentRequests: 1 } });
    const held = await fetch(`${baseUrl()}/gw/hold?tag=lease`, { headers: { Authorization: `Bearer ${t.key}` } });
    expect(held.status).toBe(200);
    const reader = held.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("started\n");
    // Headers came back long ago, the body is still streaming: the one slot is taken.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectProblem(await t.call("GET", "/gw/other"), 429, "concurrency_limited");
    origin.signal("lease:release").fire();
    while (!(await reader.read()).done);
    await eventually(async () => (await t.call("GET", "/gw/other")).status === 200, 3000, 100);
  });
});

describe("gateway in the OpenAPI document", () => {
  it("documents /gw/{path} for every method with the tenant credential, and the tenant's gateway and billing", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    const path = doc.paths["/gw/{path}"];
    for (const method of ["get", "head", "post", "put", "patch", "delete", "options"]) {
      expect(path[method].operationId).toBe(`gateway.${method}`);
      expect(path[method].security).toEqual([{ tenantCredential: [] }]);
      expect(Object.keys(path[method].responses)).toEqual(expect.arrayContaining(["502", "504"]));
    }
    // A HEAD answer has no body to hold a problem document: its responses promise none.
    for (const response of Object.values<{ content?: unknown }>(path.head.responses)) expect(response.content).toBeUndefined();
    expect(doc.components.schemas.Tenant.properties).toHaveProperty("gateway");
    expect(doc.components.schemas.Tenant.properties).toHaveProperty("billing");
  });
});

