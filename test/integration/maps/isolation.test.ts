// The attack suite: two tenants with the same map and key names, a caller who tries every path and
// header trick to reach the other one, and proof that each isolation layer holds on its own:
// Postgres (RLS, or the dedicated role and schema) without the code's tenant filter, and the code's
// tenant filter without Postgres's.
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { dedicatedNames } from "../../../src/storage/dedicated-names.ts";
import { tenantStorage } from "../../../src/storage/maps/headers.ts";
import type { MapsTx } from "../../../src/storage/maps/tx.ts";
import { deleteEntry, getEntry, listEntries, listMaps, putEntry } from "../../../src/storage/maps/operations.ts";
import { prepareValue } from "../../../src/storage/maps/value.ts";
import { admin, call, expectProblem, type ApiResponse } from "../../support/api.ts";
import type { ActiveTenant } from "../../support/tenants.ts";
import { rawCall, recordPath, tenantOn, type Tier } from "../../support/maps.ts";
import { inRolledBackTransaction } from "../../support/postgres.ts";

const PAIRS: Array<{ name: string; a: Tier; b: Tier }> = [
  { name: "two shared tenants", a: "shared", b: "shared" },
  { name: "two dedicated tenants", a: "dedicated", b: "dedicated" },
  { name: "a shared and a dedicated tenant", a: "shared", b: "dedicated" },
];

const secretOf = (tenant: ActiveTenant) => `secret-of-${tenant.id}`;

/** Both tenants hold the same map and key names, each with a value only it may ever see. */
async function seed(tenant: ActiveTenant): Promise<void> {
  for (const [map, key] of [
    ["secret", "k"],
    ["secret", "k2"],
    ["secret", "../k"],
    ["secret", "a/b"],
    ["shared-name", "%2F"],
  ] as const) {
    const put = await tenant.call("PUT", recordPath(map, key), { body: { owner: tenant.id, secret: secretOf(tenant) } });
    expect(put.status).toBe(200);
  }
}

function expectNoLeak(response: ApiResponse, victim: ActiveTenant, context: string): void {
  expect(response.status, `${context}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
  expect(response.text, context).not.toContain(secretOf(victim));
  expect(response.text, context).not.toContain(victim.key);
  if (response.status >= 400) expect(response.headers.get("content-type"), context).toMatch(/^application\/problem\+json/);
}

describe.each(PAIRS)("isolation between $name", ({ a: tierA, b: tierB }) => {
  let a: ActiveTenant;
  let b: ActiveTenant;
  beforeAll(async () => {
    [a, b] = await Promise.all([tenantOn(tierA), tenantOn(tierB)]);
    await seed(a);
    await seed(b);
    // B has one more version and one more map than A, so counts tell them apart.
    await b.call("PUT", recordPath("secret", "k"), { body: { owner: b.id, secret: secretOf(b) } });
    await b.call("PUT", recordPath("only-b", "k"), { body: { owner: b.id, secret: secretOf(b) } });
  });

  describe("through the API", () => {
    it("gives each tenant its own values, versions, lists and counts under identical names", async () => {
      for (const [self, versionOfK, maps] of [
        [a, 1, ["secret", "shared-name"]],
        [b, 2, ["only-b", "secret", "shared-name"]],
      ] as const) {
        const read = await self.call("GET", recordPath("secret", "k"));
        expect(read.body).toMatchObject({ value: { owner: self.id, secret: secretOf(self) }, version: versionOfK });
        const listed = await self.call("GET", "/v1/maps/secret");
        expect(listed.body.data.map((record: { key: string }) => record.key)).toEqual(["../k", "a/b", "k", "k2"]);
        for (const record of listed.body.data) expect(record.value.owner).toBe(self.id);
        const summary = await self.call("GET", "/v1/maps");
        expect(summary.body.data.map((map: { name: string }) => map.name)).toEqual(maps);
        expect(summary.body.data.find((map: { name: string }) => map.name === "secret").count).toBe(4);
      }
    });

    it("keeps one tenant's writes and deletes away from the other's records", async () => {
      await a.call("PUT", recordPath("secret", "k2"), { body: "changed by A" });
      await a.call("DELETE", recordPath("shared-name", "%2F"));
      expect((await b.call("GET", recordPath("secret", "k2"))).body).toMatchObject({ value: { owner: b.id }, version: 1 });
      expect((await b.call("GET", recordPath("shared-name", "%2F"))).status).toBe(200);
      expect((await b.call("GET", "/v1/maps")).body.data.find((map: { name: string }) => map.name === "shared-name").count).toBe(1);
      await a.call("PUT", recordPath("shared-name", "%2F"), { body: { owner: a.id, secret: secretOf(a) } });
    });

    it("refuses X-Tenant-Id naming the other tenant with 403 tenant_mismatch, audited under the caller", async () => {
      for (const [method, path] of [
        ["GET", recordPath("secret", "k")],
        ["GET", "/v1/maps/secret"],
        ["GET", "/v1/maps"],
        ["PUT", recordPath("secret", "k")],
        ["DELETE", recordPath("secret", "k")],
      ] as const) {
        const response = await a.call(method, path, { headers: { "X-Tenant-Id": b.id }, ...(method === "PUT" ? { body: "pwned" } : {}) });
        expectProblem(response, 403, "tenant_mismatch");
        expectNoLeak(response, b, `${method} ${path}`);
      }
      const callerLog = await admin("GET", `/v1/tenants/${a.id}/audit?action=security.tenant_mismatch`);
      expect(callerLog.status).toBe(200);
      expect(callerLog.body.data.length).toBeGreaterThanOrEqual(5);
      expect(callerLog.body.data[0]).toMatchObject({ action: "security.tenant_mismatch", details: { namedTenant: b.id } });
      const victimLog = await admin("GET", `/v1/tenants/${b.id}/audit?action=security.tenant_mismatch`);
      expect(victimLog.body.data).toEqual([]);
      expect((await b.call("GET", recordPath("secret", "k"))).body.version).toBe(2);
    });

    it("never reaches the other tenant, or another route, through path and encoding tricks", async () => {
      const paths = [
        "/v1/maps/secret/..",
        "/v1/maps/secret/.",
        "/v1/maps/secret/%2e%2e",
        "/v1/maps/secret/%2E%2E%2F%2E%2E%2Ftenants",
        "/v1/maps/x/../../tenants",
        `/v1/maps/x/../../tenants/${b.id}`,
        `/v1/maps/x/../../tenants/${b.id}/keys`,
        "/v1/maps/x/..%2F..%2Ftenants",
        "/v1/maps/%2e%2e/tenants",
        "/v1/maps/..%2Ftenants/x",
        "/v1/maps/secret/k%2F..%2F..%2Fk",
        "/v1/maps/secret/%252F",
        "/v1/maps/secret/%252e%252e%252ftenants",
        "/v1/maps/secret/..\\..\\tenants",
        "/v1/maps/secret/%5C..%5Ck",
        "/v1/maps/secret/k%00",
        `/v1/maps/secret/k%00${b.id}`,
        "/v1/maps/secret/%C0%AE%C0%AE",
        "/v1/maps/secret/k;tenant=" + b.id,
        `/v1/maps/secret/k?tenant=${b.id}&tenantId=${b.id}&tenant_id=${b.id}`,
        `/v1/maps/secret?prefix=&tenant_id=${b.id}`,
        `/v1/maps/${b.id}/k`,
        `/v1/maps/secret/${b.id}`,
        `/v1/maps/${b.id}%2Fsecret/k`,
        "/v1//maps/secret/k",
        "//v1/maps/secret/k",
        "/v1/maps//secret/k",
        "/V1/maps/secret/k",
        "/v1/maps/secret/k/",
        "/v1/maps/secret/" + "%41".repeat(600),
      ];
      for (const path of paths) {
        for (const method of ["GET", "PUT", "DELETE"]) {
          const response = await rawCall(method, path, a.key, method === "PUT" ? { body: JSON.stringify("pwned") } : {});
          expectNoLeak(response, b, `${method} ${path}`);
          // Whatever answered 2xx did so on A's own literal key, never anything else.
          if (response.status < 300 && response.body?.key !== undefined) expect(response.body.map, path).toMatch(/^[A-Za-z0-9_-]+$/);
          if (response.status < 300 && method === "GET") expect(response.text, path).not.toMatch(/"tenants?"|"apiKey"|"limits"/);
        }
      }
      // B is untouched: same records, versions and counts as seeded.
      const bMaps = (await b.call("GET", "/v1/maps")).body.data;
      expect(bMaps).toEqual([
        { name: "only-b", count: 1, bytes: expect.any(Number) },
        { name: "secret", count: 4, bytes: expect.any(Number) },
        { name: "shared-name", count: 1, bytes: expect.any(Number) },
      ]);
      const bRecords = (await b.call("GET", "/v1/maps/secret")).body.data;
      for (const record of bRecords) expect(record.value).toMatchObject({ owner: b.id, secret: secretOf(b) });
      expect(bRecords.map((record: { version: number }) => record.version)).toEqual([1, 1, 2, 1]);
    });

    it("stores SQL-looking keys and map-ish values literally", async () => {
      const keys = ["'; delete from map_records; --", "' or tenant_id <> '", `k' or '1'='1`, "k\\'; --", `${b.id}' --`];
      const value = { tenant_id: b.id, map: "secret", key: "k", value: "overwrite", version: 99, "'; drop table map_records; --": null };
      for (const key of keys) {
        expect((await a.call("PUT", recordPath("sql", key), { body: value })).status).toBe(200);
        expect((await a.call("GET", recordPath("sql", key))).body).toMatchObject({ key, value, version: 1 });
      }
      const listed = await a.call("GET", `/v1/maps/sql?prefix=${encodeURIComponent("'")}`);
      expect(listed.body.data.map((record: { key: string }) => record.key)).toEqual(["' or tenant_id <> '", "'; delete from map_records; --"]);
      expect((await b.call("GET", "/v1/maps/secret")).body.data).toHaveLength(4);
      expect((await b.call("GET", "/v1/maps/sql")).body.data).toEqual([]);
      expectProblem(await b.call("GET", recordPath("sql", keys[0]!)), 404, "not_found");
    });

    it("gives the other tenant's credential nothing of this one, and no credential nothing at all", async () => {
      expectNoLeak(await call("GET", "/v1/maps/secret", { token: `${a.key},${b.key}` }), b, "two keys");
      expectNoLeak(await call("GET", "/v1/maps/secret", { headers: { Authorization: `Bearer ${a.key} Bearer ${b.key}` } }), b, "two bearers");
      expectProblem(await call("GET", recordPath("secret", "k")), 401, "unauthenticated");
      expectProblem(await call("GET", recordPath("secret", "k"), { token: b.key.slice(0, -1) }), 401, "unauthenticated");
    });
  });
});

describe("isolation by Postgres alone (no tenant filter in the query)", () => {
  let a: ActiveTenant;
  let b: ActiveTenant;
  let c: ActiveTenant;
  let d: ActiveTenant;
  beforeAll(async () => {
    [a, b, c, d] = await Promise.all([tenantOn("shared"), tenantOn("shared"), tenantOn("dedicated"), tenantOn("dedicated")]);
    for (const tenant of [a, b, c, d]) await seed(tenant);
  });

  const asSharedRole = async (client: pg.Client, tenantId: string | null) => {
    await client.query("select set_config('role', 'tenantry_app', true), set_config('search_path', 'public', true)");
    if (tenantId !== null) await client.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
  };

  it("shared tier: row-level security shows, changes and admits only the transaction's tenant", async () => {
    await inRolledBackTransaction(async (client) => {
      await asSharedRole(client, a.id);
      const rows = (await client.query<{ tenant_id: string; key: string }>("select * from map_records")).rows;
      expect(rows.length).toBeGreaterThanOrEqual(5);
      expect(new Set(rows.map((row) => row.tenant_id))).toEqual(new Set([a.id]));
      expect((await client.query("select * from map_records where tenant_id = $1", [b.id])).rowCount).toBe(0);
      expect((await client.query("update map_records set value = '\"overwritten\"'::jsonb")).rowCount).toBe(rows.length);
      expect((await client.query("delete from map_records where tenant_id <> $1", [a.id])).rowCount).toBe(0);
    });
    for (const tenantId of [null, ""]) {
      await inRolledBackTransaction(async (client) => {
        await asSharedRole(client, tenantId);
        expect((await client.query("select * from map_records")).rowCount).toBe(0);
        expect((await client.query("delete from map_records")).rowCount).toBe(0);
      });
    }
    await inRolledBackTransaction(async (client) => {
      await asSharedRole(client, a.id);
      await expect(
        client.query("insert into map_records (tenant_id, map, key, value, version, bytes) values ($1, 'secret', 'planted', 'true', 1, 4)", [b.id]),
      ).rejects.toMatchObject({ code: "42501" });
    });
    await inRolledBackTransaction(async (client) => {
      await asSharedRole(client, a.id);
      await expect(client.query("update map_records set tenant_id = $1 where key = 'k'", [b.id])).rejects.toMatchObject({ code: "42501" });
    });
    // The shared role has no way into a dedicated tenant's schema.
    await inRolledBackTransaction(async (client) => {
      await asSharedRole(client, c.id);
      await expect(client.query(`select * from ${dedicatedNames(c.id).schema}.map_records`)).rejects.toMatchObject({ code: "42501" });
    });
    // And B's records are all still there.
    await inRolledBackTransaction(async (client) => {
      await asSharedRole(client, b.id);
      expect((await client.query("select * from map_records where map = 'secret' and key <> ''")).rowCount).toBe(4);
    });
  });

  it("dedicated tier: a tenant's role reaches its own schema and nothing else", async () => {
    const own = dedicatedNames(c.id);
    const other = dedicatedNames(d.id);
    const asRole = async (client: pg.Client) =>
      client.query("select set_config('role', $1, true), set_config('search_path', $2, true)", [own.role, own.schema]);

    await inRolledBackTransaction(async (client) => {
      await asRole(client);
      const rows = (await client.query<{ tenant_id: string }>("select * from map_records")).rows;
      expect(rows.length).toBeGreaterThanOrEqual(5);
      expect(new Set(rows.map((row) => row.tenant_id))).toEqual(new Set([c.id]));
    });
    for (const sql of [`select * from ${other.schema}.map_records`, "select * from public.map_records", `delete from ${other.schema}.map_records`]) {
      await inRolledBackTransaction(async (client) => {
        await asRole(client);
        await expect(client.query(sql), sql).rejects.toMatchObject({ code: "42501" });
      });
    }
    await inRolledBackTransaction(async (client) => {
      await asRole(client);
      await expect(
        client.query("insert into map_records (tenant_id, map, key, value, version, bytes) values ($1, 'secret', 'planted', 'true', 1, 4)", [d.id]),
      ).rejects.toMatchObject({ code: "23514" });
    });
  });
});

describe("isolation by the code alone (no row-level security, one table for everyone)", () => {
  let a: ActiveTenant;
  let b: ActiveTenant;
  let c: ActiveTenant;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([tenantOn("shared"), tenantOn("shared"), tenantOn("dedicated")]);
    for (const tenant of [a, b, c]) await seed(tenant);
    await b.call("PUT", recordPath("only-b", "k"), { body: { owner: b.id, secret: secretOf(b) } });
  });

  const limits = { maxMaps: 100, maxStorageBytes: 1_000_000 };

  /** Runs the store's own query functions, as the owner, on a table where Postgres confines nothing. */
  async function withoutPostgresIsolation(setUp: (client: pg.Client) => Promise<void>, check: (db: MapsTx, client: pg.Client) => Promise<void>) {
    await inRolledBackTransaction(async (client) => {
      await setUp(client);
      await check(drizzle(client), client);
    });
  }

  async function proveCodeFilters(db: MapsTx, client: pg.Client, self: ActiveTenant, other: ActiveTenant) {
    // The control: without a tenant filter, this table shows both tenants (and, shared, others too).
    const everyone = await client.query<{ tenant_id: string }>("select distinct tenant_id from map_records where key <> ''");
    expect(everyone.rows.map((row) => row.tenant_id)).toEqual(expect.arrayContaining([self.id, other.id]));

    expect((await getEntry(db, self.id, { map: "secret", key: "k" }))?.value).toEqual({ owner: self.id, secret: secretOf(self) });
    const page = await listEntries(db, self.id, "secret", { prefix: "", after: undefined, limit: 100 });
    expect(page.records.map((record) => (record.value as { owner: string }).owner)).toEqual([self.id, self.id, self.id, self.id]);
    expect((await listEntries(db, self.id, "only-b", { prefix: "", after: undefined, limit: 100 })).records).toEqual([]);
    expect((await listMaps(db, self.id)).map((map) => map.name)).toEqual(["secret", "shared-name"]);
    expect((await tenantStorage(db, self.id)).maps).toBe(2);
    expect(await getEntry(db, self.id, { map: "only-b", key: "k" })).toBeUndefined();

    const tenant = { id: self.id, limits };
    await putEntry(db, tenant, { map: "secret", key: "k" }, prepareValue('"rewritten by the owner of k"', 1000));
    await putEntry(db, tenant, { map: "only-b", key: "k" }, prepareValue('"a new record"', 1000));
    await deleteEntry(db, tenant, { map: "secret", key: "k2" });
    await deleteEntry(db, tenant, { map: "shared-name", key: "%2F" });

    const theirs = await client.query<{ map: string; key: string; value: unknown; version: number }>(
      "select map, key, value, version from map_records where tenant_id = $1 and key <> '' order by map, key",
      [other.id],
    );
    expect(theirs.rows.map((row) => `${row.map}/${row.key}`)).toEqual(["only-b/k", "secret/../k", "secret/a/b", "secret/k", "secret/k2", "shared-name/%2F"]);
    for (const row of theirs.rows) expect(row).toMatchObject({ value: { owner: other.id }, version: 1 });
    expect((await listMaps(db, other.id)).map((map) => [map.name, map.count])).toEqual([
      ["only-b", 1],
      ["secret", 4],
      ["shared-name", 1],
    ]);
    expect((await listMaps(db, self.id)).map((map) => [map.name, map.count])).toEqual([
      ["only-b", 1],
      ["secret", 3],
    ]);
  }

  it("shared tier: with row-level security disabled, every query still answers for its tenant only", async () => {
    await withoutPostgresIsolation(
      async (client) => {
        await client.query("alter table public.map_records disable row level security");
        await client.query("set local search_path = public");
      },
      (db, client) => proveCodeFilters(db, client, a, b),
    );
  });

  it("dedicated tier: with the other tenant's rows planted in the tenant's own table, every query still answers for its tenant only", async () => {
    const own = dedicatedNames(c.id);
    await withoutPostgresIsolation(
      async (client) => {
        await client.query(`alter table ${own.schema}.map_records drop constraint map_records_tenant_check`);
        await client.query("alter table public.map_records disable row level security");
        await client.query(`insert into ${own.schema}.map_records select * from public.map_records where tenant_id = $1`, [b.id]);
        await client.query("select set_config('search_path', $1, true)", [own.schema]);
      },
      (db, client) => proveCodeFilters(db, client, c, b),
    );
  });
});
