// @tenantry/sdk against the local stack: real calls, real 429s and 503s, real realtime reconnects.
import { afterAll, describe, expect, it } from "vitest";
import { createAdminClient, createTenantClient, TenantryError, type ChangeEvent, type Tenant } from "../../../sdk/src/index.ts";
import { adminToken, baseUrl, control, eventually } from "../../support/api.ts";

const admin = () => createAdminClient({ baseUrl: baseUrl(), token: adminToken() });
const name = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

async function newTenant(body: Partial<Parameters<ReturnType<typeof admin>["tenants"]["create"]>[0]> = {}) {
  const client = admin();
  const created = await client.tenants.create({ name: name("sdk"), plan: "pro", ...body });
  const tenant = await client.tenants.waitUntilActive(created.tenant.id);
  return { tenant, key: created.apiKey.key, data: createTenantClient({ baseUrl: baseUrl(), apiKey: created.apiKey.key }) };
}

async function expectError(promise: Promise<unknown>, status: number, code: string): Promise<TenantryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TenantryError);
  expect(error).toMatchObject({ status, code });
  return error as TenantryError;
}

describe("SDK admin client", () => {
  it("creates a tenant, reports provisioning progress until active, and lists it", async () => {
    const client = admin();
    const created = await client.tenants.create({ name: name("progress"), plan: "free", metadata: { team: "sdk" } });
    expect(created.apiKey.key).toMatch(/^tk_/);
    const seen: Tenant[] = [];
    const active = await client.tenants.waitUntilActive(created.tenant.id, { onProgress: (t) => seen.push(t), pollMs: 50 });
    expect(active.status).toBe("active");
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.at(-1)!.status).toBe("active");
    expect((await client.tenants.get(created.tenant.id)).metadata).toEqual({ team: "sdk" });
  });

  it("sends an Idempotency-Key with every create, so the same key gives the same tenant", async () => {
    const client = admin();
    const body = { name: name("idem"), plan: "pro" as const };
    const first = await client.tenants.create(body, { idempotencyKey: `sdk-${body.name}` });
    const again = await client.tenants.create(body, { idempotencyKey: `sdk-${body.name}` });
    expect(again.tenant.id).toBe(first.tenant.id);
    expect(again.apiKey.key).toBe(first.apiKey.key);
    const other = await client.tenants.create(body);
    expect(other.tenant.id).not.toBe(first.tenant.id);
  });

  it("iterates every page of a list", async () => {
    const client = admin();
    const plan = "enterprise" as const;
    const ids = new Set<string>();
    for (let i = 0; i < 3; i += 1) ids.add((await client.tenants.create({ name: name("page"), plan })).tenant.id);
    const seen: string[] = [];
    for await (const tenant of client.tenants.iterate({ plan, limit: 1 })) seen.push(tenant.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    const firstPage = await client.tenants.list({ plan, limit: 1 });
    expect(firstPage.data).toHaveLength(1);
    expect(firstPage.nextCursor).toBeTruthy();
  });

  it("throws typed errors carrying the problem document", async () => {
    const client = admin();
    const invalid = await expectError(client.tenants.create({ name: "", plan: "gold" as never }), 400, "invalid_request");
    expect(invalid.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["body.name", "body.plan"]));
    expect(invalid.requestId).toMatch(/./);
    await expectError(client.tenants.get("ten_doesnotexist"), 404, "not_found");
    await expectError(createAdminClient({ baseUrl: baseUrl(), token: "wrong" }).plans.list(), 401, "unauthenticated");
  });

  it("manages keys, tokens, suspension, usage and audit", async () => {
    const client = admin();
    const { tenant, data } = await newTenant();
    const key = await client.keys.create(tenant.id, { name: "reader", scopes: ["read"] });
    const reader = createTenantClient({ baseUrl: baseUrl(), apiKey: key.key });
    expect((await reader.me()).tenant.id).toBe(tenant.id);
    await expectError(reader.maps.put("m", "k", 1), 403, "forbidden");
    expect((await client.keys.list(tenant.id)).data.map((k) => k.id)).toContain(key.id);
    await client.keys.revoke(tenant.id, key.id);
    await eventually(async () => (await reader.me().then(() => false, (e) => e instanceof TenantryError && e.code === "unauthenticated")) || undefined, 5000);

    const { token } = await client.tokens.issue(tenant.id, { sub: "user-1", scopes: ["read", "write"] });
    const viaToken = createTenantClient({ baseUrl: baseUrl(), token });
    expect((await viaToken.maps.put("m", "k", { n: 1 })).version).toBe(1);

    await client.tenants.suspend(tenant.id);
    await eventually(async () => (await data.maps.put("m", "k", 2).then(() => false, (e) => e.code === "tenant_suspended")) || undefined, 5000);
    expect((await data.maps.get("m", "k")).value).toEqual({ n: 1 });
    await client.tenants.resume(tenant.id);
    await eventually(async () => (await data.maps.put("m", "k", 3).then(() => true, () => false)) || undefined, 5000);

    await client.usage.flush(tenant.id);
    const usage = await client.usage.get(tenant.id, { granularity: "day" });
    expect(usage.totals.writeOps).toBeGreaterThanOrEqual(2);
    const actions: string[] = [];
    for await (const event of client.audit.iterate(tenant.id, { limit: 2 })) actions.push(event.action);
    expect(actions).toEqual(expect.arrayContaining(["tenant.created", "key.created", "key.revoked", "tenant.suspended", "tenant.resumed"]));
    expect((await client.plans.list()).data.map((p) => p.id)).toEqual(["free", "pro", "enterprise"]);
  });
});

describe("SDK tenant client", () => {
  it("reads, writes, lists and deletes records, with If-Match", async () => {
    const { data } = await newTenant();
    const written = await data.maps.put("todos", "a/b c", { title: "milk" });
    expect(written).toMatchObject({ map: "todos", key: "a/b c", version: 1 });
    expect((await data.maps.get("todos", "a/b c")).value).toEqual({ title: "milk" });
    await data.maps.put("todos", "plain", "text");
    await data.maps.put("todos", "nothing", null);
    expect((await data.maps.get("todos", "nothing")).value).toBeNull();
    await expectError(data.maps.put("todos", "plain", "x", { ifVersion: 7 }), 412, "version_conflict");
    expect((await data.maps.put("todos", "plain", "y", { ifVersion: 1 })).version).toBe(2);
    expect(await data.maps.find("todos", "missing")).toBeNull();

    const keys: string[] = [];
    for await (const record of data.maps.iterate("todos", { limit: 1 })) keys.push(record.key);
    expect(keys).toEqual(["a/b c", "nothing", "plain"]);
    expect((await data.maps.index()).data).toEqual([expect.objectContaining({ name: "todos", count: 3 })]);
    await data.maps.delete("todos", "plain");
    await expectError(data.maps.delete("todos", "plain"), 404, "not_found");

    await data.secrets.put("stripe", "sk_live_x");
    expect((await data.secrets.get("stripe")).value).toBe("sk_live_x");
    expect((await data.secrets.list()).data.map((s) => s.name)).toEqual(["stripe"]);
  });

  it("update() retries on concurrent writes so no increment is lost", async () => {
    const { data } = await newTenant();
    await data.maps.put("counters", "hits", 0);
    await Promise.all(Array.from({ length: 8 }, () => data.maps.update<number>("counters", "hits", (n) => (n ?? 0) + 1, { attempts: 50 })));
    expect((await data.maps.get("counters", "hits")).value).toBe(8);
  });

  it("retries a real 429 after the server's Retry-After, and surfaces it when retries are off", async () => {
    const { key } = await newTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    const noRetry = createTenantClient({ baseUrl: baseUrl(), apiKey: key, retry: false });
    await noRetry.me();
    const refused = await expectError(noRetry.me(), 429, "rate_limited");
    expect(refused.retryAfterMs).toBeGreaterThan(0);

    const statuses: number[] = [];
    const retrying = createTenantClient({ baseUrl: baseUrl(), apiKey: key, retry: { attempts: 6 }, fetch: recording(statuses) });
    for (let i = 0; i < 3; i += 1) expect((await retrying.me()).tenant.plan).toBe("free");
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
  });

  it("retries a real 503 while PostgreSQL is down and succeeds once it is back", async () => {
    const { key, data } = await newTenant();
    await data.maps.put("m", "k", "kept");
    const statuses: number[] = [];
    const patient = createTenantClient({ baseUrl: baseUrl(), apiKey: key, retry: { attempts: 15, maxDelayMs: 1000 }, fetch: recording(statuses) });
    await control("postgres/stop");
    let restarted = false;
    try {
      const read = patient.maps.list("m");
      await eventually(async () => statuses.includes(503) || undefined, 10_000, 50);
      await control("postgres/start");
      restarted = true;
      expect((await read).data.map((r) => r.value)).toEqual(["kept"]);
      expect(statuses.at(-1)).toBe(200);
    } finally {
      if (!restarted) await control("postgres/start");
    }
  });
});

describe("SDK realtime client", () => {
  const open: Array<{ close(): void }> = [];
  afterAll(() => open.forEach((client) => client.close()));

  it("subscribes, gets changes made over REST, and answers its own requests", async () => {
    const { data } = await newTenant();
    const live = await data.realtime.connect();
    open.push(live);
    const changes: ChangeEvent[] = [];
    live.onChange((event) => changes.push(event));
    expect(await live.subscribe("chat")).toEqual({ map: "chat" });
    await data.maps.put("chat", "m1", { text: "hi" });
    await eventually(async () => changes.length > 0 || undefined, 5000, 20);
    expect(changes[0]).toMatchObject({ event: "change", map: "chat", key: "m1", op: "set", value: { text: "hi" }, version: 1 });
    expect(await live.set("chat", "m2", 2)).toMatchObject({ map: "chat", key: "m2", version: 1 });
    expect((await live.get("chat", "m2")).value).toBe(2);
    await expect(live.get("chat", "absent")).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("reconnects on its own across a promotion to dedicated and keeps its subscriptions", async () => {
    const client = admin();
    const created = await client.tenants.create({ name: name("move"), plan: "enterprise" });
    await client.tenants.waitUntilActive(created.tenant.id);
    await client.tenants.changeIsolation(created.tenant.id, "shared");
    await client.tenants.waitForMigration(created.tenant.id);
    const data = createTenantClient({ baseUrl: baseUrl(), apiKey: created.apiKey.key });

    const live = await data.realtime.connect();
    open.push(live);
    const reconnects: number[] = [];
    live.onReconnect((code) => reconnects.push(code));
    const changes: ChangeEvent[] = [];
    live.onChange((event) => changes.push(event));
    await live.subscribe("feed");

    await client.tenants.changeIsolation(created.tenant.id, "dedicated");
    const moved = await client.tenants.waitForMigration(created.tenant.id);
    expect(moved.isolation).toBe("dedicated");
    await eventually(async () => reconnects.length > 0 || undefined, 15_000, 50);
    expect(reconnects[0]).toBe(1012);

    await data.maps.put("feed", "after", "moved");
    await eventually(async () => changes.find((c) => c.key === "after") || undefined, 10_000, 20);
  });
});

function recording(statuses: number[]): typeof fetch {
  return (async (input: Request) => {
    const response = await fetch(input);
    statuses.push(response.status);
    return response;
  }) as typeof fetch;
}
