import { afterEach, describe, expect, it } from "vitest";
import { admin, call, eventually, expectProblem } from "../../support/api.ts";
import { connect, type RealtimeClient } from "../../support/realtime-client.ts";
import { activeTenant } from "../../support/tenants.ts";

const open: RealtimeClient[] = [];
async function client(options: Parameters<typeof connect>[0]) {
  const c = await connect(options);
  open.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function refusedUpgrade(options: Parameters<typeof connect>[0]) {
  try {
    const c = await connect(options);
    await c.close();
  } catch (error) {
    return error as Error & { status: number; body: any; headers: Record<string, string> };
  }
  throw new Error("the upgrade was accepted");
}

const isEvent = (m: any) => m.event === "change";

describe("GET /v1/realtime: the protocol", () => {
  it("answers subscribe, set, get, delete and sends change events for REST and realtime writes", async () => {
    const t = await activeTenant();
    const watcher = await client({ token: t.key });
    const writer = await client({ token: t.key });
    expect(await watcher.request({ op: "subscribe", map: "todos" })).toEqual({ id: expect.any(Number), ok: true, result: { map: "todos" } });

    const put = await t.call("PUT", "/v1/maps/todos/a", { body: { title: "from REST" } });
    expect(put.status).toBe(200);
    expect(await watcher.next(isEvent)).toEqual({ event: "change", map: "todos", key: "a", op: "set", value: { title: "from REST" }, version: 1 });

    const set = await writer.request({ op: "set", map: "todos", key: "a", value: [1, "two"] });
    expect(set.ok).toBe(true);
    expect(set.result).toMatchObject({ map: "todos", key: "a", version: 2 });
    expect(new Date(set.result.updatedAt).toISOString()).toBe(set.result.updatedAt);
    expect(await watcher.next(isEvent)).toEqual({ event: "change", map: "todos", key: "a", op: "set", value: [1, "two"], version: 2 });

    const got = await writer.request({ op: "get", map: "todos", key: "a" });
    expect(got.result).toMatchObject({ map: "todos", key: "a", value: [1, "two"], version: 2 });
    expect((await t.call("GET", "/v1/maps/todos/a")).body.value).toEqual([1, "two"]);

    expect(await writer.request({ op: "delete", map: "todos", key: "a" })).toMatchObject({ ok: true, result: { map: "todos", key: "a" } });
    // A deletion is a write: version 3, as a REST delete of version 2 would announce too.
    expect(await watcher.next(isEvent)).toEqual({ event: "change", map: "todos", key: "a", op: "delete", value: null, version: 3 });
    await t.call("PUT", "/v1/maps/todos/a", { body: 1 });
    expect(await watcher.next(isEvent)).toMatchObject({ op: "set", version: 1 });
    expect((await t.call("DELETE", "/v1/maps/todos/a")).status).toBe(204);
    expect(await watcher.next(isEvent)).toEqual({ event: "change", map: "todos", key: "a", op: "delete", value: null, version: 2 });
    expect(await writer.request({ op: "get", map: "todos", key: "a" })).toMatchObject({ ok: false, error: { code: "not_found" } });

    expect(await watcher.request({ op: "unsubscribe", map: "todos" })).toMatchObject({ ok: true, result: { map: "todos" } });
    await t.call("PUT", "/v1/maps/todos/b", { body: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watcher.received.filter(isEvent)).toHaveLength(0);
  });

  it.each([
    ["not JSON", "{nope"],
    ["an unknown op", { id: 1, op: "explode", map: "m" }],
    ["a missing map", { id: 2, op: "subscribe" }],
    ["a bad map name", { id: 3, op: "subscribe", map: "../x" }],
    ["a control character in the key", { id: 4, op: "get", map: "m", key: "a\u0001" }],
    ["an over-long key", { id: 5, op: "get", map: "m", key: "k".repeat(513) }],
    ["a set without a value", { id: 6, op: "set", map: "m", key: "k" }],
    ["a set under the key `.` (no URL can carry it)", { id: 7, op: "set", map: "m", key: ".", value: 1 }],
    ["a set under the key `..`", { id: 8, op: "set", map: "m", key: "..", value: 1 }],
    ["an array", [1, 2]],
  ])("answers %s with invalid_request and keeps the connection", async (_label, frame) => {
    const t = await activeTenant();
    const c = await client({ token: t.key });
    c.send(frame);
    const reply = await c.next();
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe("invalid_request");
    expect(typeof reply.error.message).toBe("string");
    expect(await c.request({ op: "subscribe", map: "still-open" })).toMatchObject({ ok: true });
  });

  it("answers a binary frame with invalid_request", async () => {
    const t = await activeTenant();
    const c = await client({ token: t.key });
    c.ws.send(Buffer.from([1, 2, 3]));
    expect(await c.next()).toMatchObject({ ok: false, error: { code: "invalid_request" } });
  });

  it("holds every message to the tenant's rate limit without closing the connection", async () => {
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 3 } });
    const c = await client({ token: t.key });
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => c.request({ op: "set", map: "m", key: `k${i}`, value: i })));
    expect(replies.filter((r) => r.ok)).toHaveLength(2); // the upgrade itself took one token
    for (const reply of replies.filter((r) => !r.ok)) {
      expect(reply.error.code).toBe("rate_limited");
      expect(reply.error.retryAfterMs).toBeGreaterThan(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await c.request({ op: "get", map: "m", key: "k0" })).ok).toBe(true);
  });

  it("holds subscriptions to the rate limit too, and keeps every subscription sent at once", async () => {
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 4 } });
    const c = await client({ token: t.key });
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => c.request({ op: "subscribe", map: `m${i}` })));
    const admitted = replies.filter((r) => r.ok).map((r) => r.result.map as string);
    expect(admitted).toHaveLength(3); // the upgrade itself took one token
    for (const reply of replies.filter((r) => !r.ok)) expect(reply.error).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
    // Every admitted subscription holds, although the frames were handled interleaved. (The bucket
    // is widened first, so the REST writes that show it are not refused themselves.)
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { overrides: { requestsPerSecond: 100, burst: 200 } } })).status).toBe(200);
    for (const map of admitted) await eventually(async () => (await t.call("PUT", `/v1/maps/${map}/k`, { body: map })).status === 200, 3000);
    await eventually(async () => c.received.filter(isEvent).length === admitted.length, 3000);
    expect(c.received.filter(isEvent).map((event) => event.map).sort()).toEqual([...admitted].sort());
  });

  it("refuses writes of a read-only credential and of a suspended tenant, message by message", async () => {
    const t = await activeTenant();
    const token = (await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "reader", scopes: ["read"] } })).body.token;
    const reader = await client({ token });
    expect(await reader.request({ op: "set", map: "m", key: "k", value: 1 })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await reader.request({ op: "get", map: "m", key: "k" })).toMatchObject({ ok: false, error: { code: "not_found" } });

    const writer = await client({ token: t.key });
    await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } });
    expect(await writer.request({ op: "set", map: "m", key: "k", value: 1 })).toMatchObject({ ok: false, error: { code: "tenant_suspended" } });
    expect(await writer.request({ op: "get", map: "m", key: "k" })).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("counts messages and the operations they carry", async () => {
    const t = await activeTenant();
    const c = await client({ token: t.key });
    await c.request({ op: "subscribe", map: "m" });
    await c.request({ op: "set", map: "m", key: "a", value: 1 });
    await c.request({ op: "set", map: "m", key: "b", value: 2 });
    await c.request({ op: "get", map: "m", key: "a" });
    await c.request({ op: "delete", map: "m", key: "b" });
    await c.close();
    await eventually(async () => (await admin("POST", `/v1/tenants/${t.id}/usage/flush`)).status === 200);
    const totals = (await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`)).body.totals;
    expect(totals.messages).toBe(5);
    expect(totals.writeOps).toBe(3);
    expect(totals.readOps).toBe(1);
    expect(totals.peakConnections).toBe(1);
    expect(totals.requests).toBe(1); // the upgrade
  });
});

describe("POST /v1/realtime/tickets and GET /v1/realtime: access", () => {
  it("issues single-use tickets that work without an Authorization header", async () => {
    const t = await activeTenant();
    const issued = await t.call("POST", "/v1/realtime/tickets");
    expect(issued.status).toBe(201);
    const ttl = new Date(issued.body.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const c = await client({ ticket: issued.body.ticket });
    expect(await c.request({ op: "subscribe", map: "m" })).toMatchObject({ ok: true });
    const again = await refusedUpgrade({ ticket: issued.body.ticket });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe("unauthenticated");
  });

  it("refuses forged tickets and a ticket naming another tenant than the Authorization header", async () => {
    const a = await activeTenant();
    const b = await activeTenant();
    const ticketB = (await b.call("POST", "/v1/realtime/tickets")).body.ticket as string;
    const forged = ticketB.slice(0, -4) + (ticketB.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await refusedUpgrade({ ticket: forged })).status).toBe(401);
    expect((await refusedUpgrade({ ticket: "rt_garbage" })).status).toBe(401);
    const mismatch = await refusedUpgrade({ ticket: ticketB, token: a.key });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.code).toBe("tenant_mismatch");
    // A data-plane answer like any other: the header's tenant's limits, as for an X-Tenant-Id mismatch.
    expect(mismatch.headers.ratelimit).toMatch(/^"burst";r=\d+;t=\d+/);
    expect(mismatch.headers["ratelimit-policy"]).toMatch(/^"burst";q=\d+;w=1/);
    const audit = await admin("GET", `/v1/tenants/${a.id}/audit?action=security.tenant_mismatch`);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].details.namedTenant).toBe(b.id);
  });

  it("closes the connections a revoked key opened, its tickets' too, within a second, and no others", async () => {
    const t = await activeTenant();
    const made = await admin("POST", `/v1/tenants/${t.id}/keys`, { body: { name: "to revoke" } });
    const doomedKey = made.body.key as string;
    const byKey = await client({ token: doomedKey });
    const ticket = (await call("POST", "/v1/realtime/tickets", { token: doomedKey })).body.ticket as string;
    const byTicket = await client({ ticket });
    const bystander = await client({ token: t.key });
    for (const c of [byKey, byTicket, bystander]) expect(await c.request({ op: "subscribe", map: "m" })).toMatchObject({ ok: true });
    const closedWith = (c: RealtimeClient) => new Promise<number>((resolve) => c.ws.once("close", (code) => resolve(code)));
    const closings = [closedWith(byKey), closedWith(byTicket)];

    const revokedAt = Date.now();
    expect((await admin("DELETE", `/v1/tenants/${t.id}/keys/${made.body.id}`)).status).toBe(204);
    expect(await Promise.all(closings)).toEqual([1008, 1008]);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    // The tenant's other key keeps its connection, and writes still reach it.
    expect(await bystander.request({ op: "set", map: "m", key: "after", value: 1 })).toMatchObject({ ok: true });
  });

  it("closes every connection of a deleted tenant within a second, idle ones too", async () => {
    const t = await activeTenant();
    const idle = await client({ token: t.key });
    const busy = await client({ token: t.key });
    expect(await busy.request({ op: "subscribe", map: "m" })).toMatchObject({ ok: true });
    const closedWith = (c: RealtimeClient) => new Promise<number>((resolve) => c.ws.once("close", (code) => resolve(code)));
    const closings = [closedWith(idle), closedWith(busy)];
    expect((await admin("DELETE", `/v1/tenants/${t.id}`)).status).toBe(202);
    // The close frame (1008) reaches both at once: each socket is closing or closed within the second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([idle.ws.readyState, busy.ws.readyState].every((state) => state >= 2)).toBe(true);
    // workerd ends the TCP connection of a socket that never sent a frame some 10 s later, and only
    // then does a client's close event fire.
    expect(await Promise.all(closings)).toEqual([1008, 1008]);
  }, 30_000);

  it("refuses an upgrade over maxConnections with 429 connection_limit", async () => {
    const t = await activeTenant({ overrides: { maxConnections: 2 } });
    await client({ token: t.key });
    await client({ token: t.key });
    const refused = await refusedUpgrade({ token: t.key });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("connection_limit");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    await open.pop()!.close();
    await eventually(async () => {
      try {
        open.push(await connect({ token: t.key }));
        return true;
      } catch {
        return false;
      }
    }, 5000, 100);
  });

  it("never shows one tenant's changes to another tenant's subscribers", async () => {
    const a = await activeTenant();
    const b = await activeTenant();
    const watchA = await client({ token: a.key });
    const watchB = await client({ token: b.key });
    await watchA.request({ op: "subscribe", map: "shared-name" });
    await watchB.request({ op: "subscribe", map: "shared-name" });
    await a.call("PUT", "/v1/maps/shared-name/k", { body: "secret of A" });
    const writerB = await client({ token: b.key });
    await writerB.request({ op: "set", map: "shared-name", key: "k", value: "secret of B" });
    expect(await watchA.next(isEvent)).toMatchObject({ value: "secret of A" });
    expect(await watchB.next(isEvent)).toMatchObject({ value: "secret of B" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watchA.received.filter(isEvent)).toHaveLength(0);
    expect(watchB.received.filter(isEvent)).toHaveLength(0);
  });

  it("answers a plain GET without an upgrade with a 400 problem", async () => {
    const t = await activeTenant();
    expectProblem(await call("GET", "/v1/realtime", { token: t.key }), 400, "invalid_request");
    expectProblem(await call("GET", "/v1/realtime"), 401, "unauthenticated");
  });
});
