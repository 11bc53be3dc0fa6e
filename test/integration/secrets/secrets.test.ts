import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, call, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";
import { asTenant, ownerPool } from "../../support/postgres.ts";

const pool = ownerPool();
let a: ActiveTenant;
let b: ActiveTenant;

beforeAll(async () => {
  [a, b] = await Promise.all([activeTenant({ plan: "pro" }), activeTenant({ plan: "pro" })]);
}, 120_000);

afterAll(async () => {
  await pool.end();
});

const put = (tenant: ActiveTenant, name: string, body: unknown) => tenant.call("PUT", `/v1/secrets/${name}`, { body });

async function auditOf(tenantId: string, action: string) {
  const { rows } = await pool.query<{ actor: string; details: Record<string, unknown> }>(
    "select actor, details from audit_events where tenant_id = $1 and action = $2 order by id",
    [tenantId, action],
  );
  return rows;
}

describe("PUT, GET, DELETE /v1/secrets/{name} and GET /v1/secrets: round trips", () => {
  it("stores, reads, replaces and deletes a secret", async () => {
    const written = await put(a, "exchange.api-key_1", { value: "sk_live_first" });
    expect(written.status).toBe(200);
    expect(written.body).toEqual({ name: "exchange.api-key_1", updatedAt: expect.any(String) });
    expect(new Date(written.body.updatedAt).toISOString()).toBe(written.body.updatedAt);

    const read = await a.call("GET", "/v1/secrets/exchange.api-key_1");
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ name: "exchange.api-key_1", value: "sk_live_first", updatedAt: written.body.updatedAt });
    expect(read.headers.get("cache-control")).toBe("no-store");

    const replaced = await put(a, "exchange.api-key_1", { value: "sk_live_second" });
    expect(replaced.status).toBe(200);
    expect(Date.parse(replaced.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(written.body.updatedAt));
    expect((await a.call("GET", "/v1/secrets/exchange.api-key_1")).body.value).toBe("sk_live_second");

    const deleted = await a.call("DELETE", "/v1/secrets/exchange.api-key_1");
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expectProblem(await a.call("GET", "/v1/secrets/exchange.api-key_1"), 404, "not_found");
    expectProblem(await a.call("DELETE", "/v1/secrets/exchange.api-key_1"), 404, "not_found");
  });

  it("round-trips unicode, whitespace, a BOM, JSON-looking text and the empty string exactly", async () => {
    const values = ["пароль 🔐 秘密 — ñ", "  leading and trailing  \n\t", "\uFEFFbom first", '{"not":"json object"}', "", "a\u0000b"];
    for (const [index, value] of values.entries()) {
      expect((await put(a, `unicode-${index}`, { value })).status).toBe(200);
      const read = await a.call("GET", `/v1/secrets/unicode-${index}`);
      expect(read.status).toBe(200);
      expect(read.body.value).toBe(value);
    }
  });

  it("accepts a value of exactly 65536 UTF-8 bytes and refuses one byte more with 413", async () => {
    const exact = "é".repeat(32_768);
    expect((await put(a, "big", { value: exact })).status).toBe(200);
    expect((await a.call("GET", "/v1/secrets/big")).body.value).toBe(exact);
    const over = expectProblem(await put(a, "big", { value: `${exact}x` }), 413, "payload_too_large");
    expect(over.limit).toBe(65_536);
    expect((await a.call("GET", "/v1/secrets/big")).body.value).toBe(exact);
  });

  it("lists names and update times only, in byte order", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await t.call("GET", "/v1/secrets")).body).toEqual({ data: [] });
    for (const name of ["b", "B", "a.z", "a-z", "_x", "0"]) expect((await put(t, name, { value: `v-${name}` })).status).toBe(200);
    const list = await t.call("GET", "/v1/secrets");
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: { name: string }) => s.name)).toEqual(["0", "B", "_x", "a-z", "a.z", "b"]);
    for (const entry of list.body.data) expect(Object.keys(entry).sort()).toEqual(["name", "updatedAt"]);
    expect(list.text).not.toContain("v-");
  });
});

describe("secrets: validation", () => {
  it("refuses names outside ^[A-Za-z0-9_.-]{1,128}$ with 400", async () => {
    for (const name of ["has%20space", "x".repeat(129), "%C3%A9", "a%2Fb", "semi%3Bcolon"]) {
      const problem = expectProblem(await put(a, name, { value: "v" }), 400, "invalid_request");
      expect(JSON.stringify(problem.errors)).toContain("path.name");
      expectProblem(await a.call("GET", `/v1/secrets/${name}`), 400, "invalid_request");
      expectProblem(await a.call("DELETE", `/v1/secrets/${name}`), 400, "invalid_request");
    }
    expect((await put(a, "x".repeat(128), { value: "v" })).status).toBe(200);
  });

  it("refuses bodies that are not { value: string } with 400, and non-JSON with 415", async () => {
    for (const body of [{ value: 42 }, { value: null }, { value: { nested: "x" } }, {}, { value: "v", extra: 1 }, "just a string", ["v"]]) {
      const problem = expectProblem(await put(a, "shape", body), 400, "invalid_request");
      expect(problem.errors).toBeInstanceOf(Array);
    }
    expectProblem(await a.call("PUT", "/v1/secrets/shape", { rawBody: '{"value":"\\ud800"}', headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
    expectProblem(await a.call("PUT", "/v1/secrets/shape", { rawBody: "{", headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
    expectProblem(await a.call("PUT", "/v1/secrets/shape", { rawBody: "value=1", headers: { "Content-Type": "text/plain" } }), 415, "unsupported_media_type");
    expectProblem(await a.call("PUT", "/v1/secrets/shape"), 400, "invalid_request");
    expectProblem(await a.call("GET", "/v1/secrets/shape"), 404, "not_found");
  });

  it("caps a tenant at 1000 secrets with 403 limit_exceeded; replacing still works", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "first", { value: "v" })).status).toBe(200);
    const row = await asTenant(pool, t.id, async (client) => (await client.query("select * from tenant_secrets where tenant_id = $1", [t.id])).rows[0]);
    await asTenant(pool, t.id, (client) =>
      client.query(
        `insert into tenant_secrets (tenant_id, name, ciphertext, iv, key_version)
         select $1, 'filler-' || i, $2, $3, $4 from generate_series(1, 999) as i`,
        [t.id, row.ciphertext, row.iv, row.key_version],
      ),
    );
    const refused = expectProblem(await put(t, "one-too-many", { value: "v" }), 403, "limit_exceeded");
    expect(refused.limit).toBe(1000);
    expect((await put(t, "first", { value: "replaced" })).status).toBe(200);
    expect((await t.call("DELETE", "/v1/secrets/filler-1")).status).toBe(204);
    expect((await put(t, "one-too-many", { value: "v" })).status).toBe(200);
    expectProblem(await put(t, "and-another", { value: "v" }), 403, "limit_exceeded");
    expect((await t.call("GET", "/v1/secrets")).body.data).toHaveLength(1000);
  });
});

describe("secrets: plans, scopes, audit", () => {
  it("answers 403 upgrade_required on every secrets route for a free-plan tenant", async () => {
    const free = await activeTenant({ plan: "free" });
    for (const [method, path, body] of [
      ["GET", "/v1/secrets", undefined],
      ["GET", "/v1/secrets/any", undefined],
      ["PUT", "/v1/secrets/any", { value: "v" }],
      ["PUT", "/v1/secrets/bad%20name", { value: 1 }],
      ["DELETE", "/v1/secrets/any", undefined],
    ] as const) {
      expectProblem(await free.call(method, path, body === undefined ? {} : { body }), 403, "upgrade_required");
    }
    const { rows } = await pool.query("select count(*)::int as n from tenant_data_keys where tenant_id = $1", [free.id]);
    expect(rows[0].n).toBe(0);
  });

  it("lets a read-scope key read and list but not write or delete (403 forbidden)", async () => {
    expect((await put(a, "scoped", { value: "scoped-value" })).status).toBe(200);
    const created = await admin("POST", `/v1/tenants/${a.id}/keys`, { body: { name: "reader", scopes: ["read"] } });
    expect(created.status).toBe(201);
    const reader = created.body.key as string;
    const read = await call("GET", "/v1/secrets/scoped", { token: reader });
    expect(read.status).toBe(200);
    expect(read.body.value).toBe("scoped-value");
    expect((await call("GET", "/v1/secrets", { token: reader })).status).toBe(200);
    expectProblem(await call("PUT", "/v1/secrets/scoped", { token: reader, body: { value: "overwritten" } }), 403, "forbidden");
    expectProblem(await call("DELETE", "/v1/secrets/scoped", { token: reader }), 403, "forbidden");
    expect((await a.call("GET", "/v1/secrets/scoped")).body.value).toBe("scoped-value");
  });

  it("audits reads, writes and deletes by name with the credential as actor, never the value", async () => {
    const t = await activeTenant({ plan: "pro" });
    const value = `audit-value-${crypto.randomUUID()}`;
    await put(t, "audited", { value });
    await t.call("GET", "/v1/secrets/audited");
    await t.call("GET", "/v1/secrets");
    await t.call("DELETE", "/v1/secrets/audited");
    const actor = `key:${t.tenant.id ? (await admin("GET", `/v1/tenants/${t.id}/keys`)).body.data[0].id : ""}`;
    for (const action of ["secret.written", "secret.read", "secret.deleted"]) {
      const events = await auditOf(t.id, action);
      expect(events).toHaveLength(1);
      expect(events[0]!.actor).toBe(actor);
      expect(events[0]!.details.name).toBe("audited");
      expect(JSON.stringify(events[0])).not.toContain(value);
    }
    const { rows } = await pool.query("select details::text from audit_events where tenant_id = $1", [t.id]);
    expect(rows.map((r) => r.details).join("\n")).not.toContain(value);
  });
});

describe("secrets: metering", () => {
  it("counts a read as a read op and a write or delete as a write op", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "metered", { value: "v" })).status).toBe(200);
    expect((await t.call("GET", "/v1/secrets/metered")).status).toBe(200);
    expect((await t.call("DELETE", "/v1/secrets/metered")).status).toBe(204);
    expect((await admin("POST", `/v1/tenants/${t.id}/usage/flush`)).status).toBe(200);
    const usage = await admin("GET", `/v1/tenants/${t.id}/usage?granularity=day`);
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toMatchObject({ requests: 3, readOps: 1, writeOps: 2 });
  });
});

describe("secrets: tenant isolation", () => {
  it("gives each tenant its own namespace: B cannot read, list, replace or delete A's secret", async () => {
    const value = `a-only-${crypto.randomUUID()}`;
    expect((await put(a, "shared-name", { value })).status).toBe(200);

    expectProblem(await b.call("GET", "/v1/secrets/shared-name"), 404, "not_found");
    expect((await b.call("GET", "/v1/secrets")).body.data.map((s: { name: string }) => s.name)).not.toContain("shared-name");
    expectProblem(await b.call("DELETE", "/v1/secrets/shared-name"), 404, "not_found");
    expectProblem(await b.call("GET", "/v1/secrets/shared-name", { headers: { "X-Tenant-Id": a.id } }), 403, "tenant_mismatch");
    expectProblem(await b.call("PUT", "/v1/secrets/shared-name", { body: { value: "x" }, headers: { "X-Tenant-Id": a.id } }), 403, "tenant_mismatch");

    expect((await put(b, "shared-name", { value: "b's own" })).status).toBe(200);
    expect((await b.call("GET", "/v1/secrets/shared-name")).body.value).toBe("b's own");
    expect((await a.call("GET", "/v1/secrets/shared-name")).body.value).toBe(value);
    expectProblem(await call("GET", "/v1/secrets/shared-name"), 401, "unauthenticated");
    expectProblem(await call("GET", "/v1/secrets/shared-name", { token: "tk_not_a_real_key" }), 401, "unauthenticated");
  });

  it("is enforced by Postgres too: in B's scope, A's rows are invisible and cannot be written", async () => {
    expect((await put(a, "rls-probe", { value: "v" })).status).toBe(200);
    const seen = await asTenant(pool, b.id, async (client) => ({
      secrets: (await client.query("select count(*)::int as n from tenant_secrets where tenant_id = $1", [a.id])).rows[0].n,
      keys: (await client.query("select count(*)::int as n from tenant_data_keys where tenant_id = $1", [a.id])).rows[0].n,
      all: (await client.query("select distinct tenant_id from tenant_secrets")).rows.map((r) => r.tenant_id),
    }));
    expect(seen).toEqual({ secrets: 0, keys: 0, all: [b.id] });
    await expect(
      asTenant(pool, b.id, (client) => client.query("insert into tenant_secrets (tenant_id, name, ciphertext, iv, key_version) values ($1, 'planted', 'x', 'y', 1)", [a.id])),
    ).rejects.toThrow(/row-level security/);
    await expect(
      asTenant(pool, b.id, (client) => client.query("update tenant_secrets set tenant_id = $1 where tenant_id = $2", [a.id, b.id])),
    ).rejects.toThrow(/row-level security/);
    const unscoped = await asTenant(pool, "", async (client) => (await client.query("select count(*)::int as n from tenant_secrets")).rows[0].n);
    expect(unscoped).toBe(0);
  });
});
