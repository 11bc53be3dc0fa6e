// The per-map header rows (key "") behind GET /v1/maps, maxMaps and maxStorageBytes, run through the
// store's own functions inside the tenant's row-level-security scope, in rolled-back transactions.
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { listMapHeaders, rebuildMapHeaders, tenantStorage } from "../../../src/storage/maps/headers.ts";
import { putEntry } from "../../../src/storage/maps/operations.ts";
import { prepareValue } from "../../../src/storage/maps/value.ts";
import type { ActiveTenant } from "../../support/tenants.ts";
import { putAll, tenantOn } from "../../support/maps.ts";
import { inRolledBackTransaction } from "../../support/postgres.ts";

describe("map header rows", () => {
  let t: ActiveTenant;
  beforeAll(async () => {
    t = await tenantOn("shared");
    await putAll(t, "alpha", [
      ["a", 1],
      ["b", "two"],
    ]);
    await putAll(t, "beta", [["c", { three: [3] }]]);
  });

  const asTenant = async (client: pg.Client) =>
    client.query("select set_config('role', 'tenantry_app', true), set_config('app.tenant_id', $1, true)", [t.id]);

  const expected = [
    { name: "alpha", count: 2, bytes: 1 + 1 + 1 + 5 },
    { name: "beta", count: 1, bytes: 1 + '{"three":[3]}'.length },
  ];

  it("hold each map's record count and bytes, and never show up as records", async () => {
    expect((await t.call("GET", "/v1/maps")).body.data).toEqual(expected);
    expect((await t.call("GET", "/v1/maps/alpha")).body.data.map((record: { key: string }) => record.key)).toEqual(["a", "b"]);
    await inRolledBackTransaction(async (client) => {
      await asTenant(client);
      const db = drizzle(client);
      expect(await listMapHeaders(db, t.id)).toEqual(expected);
      expect(await tenantStorage(db, t.id)).toEqual({ maps: 2, bytes: expected[0]!.bytes + expected[1]!.bytes });
    });
  });

  it("are rebuilt exactly from the records after a load that bypassed them", async () => {
    await inRolledBackTransaction(async (client) => {
      await asTenant(client);
      const db = drizzle(client);
      await client.query("update map_records set version = 42, value = '{\"bytes\": 1}' where key = ''");
      await client.query("insert into map_records (tenant_id, map, key, value, version, bytes) values ($1, 'gamma', 'loaded', '[1,2]', 1, 11)", [t.id]);
      await rebuildMapHeaders(db, t.id);
      expect(await listMapHeaders(db, t.id)).toEqual([...expected, { name: "gamma", count: 1, bytes: 11 }]);
    });
  });

  it("make a map's first record create the header and its last delete remove it", async () => {
    await inRolledBackTransaction(async (client) => {
      await asTenant(client);
      const db = drizzle(client);
      const tenant = { id: t.id, limits: { maxMaps: 3, maxStorageBytes: null } };
      const written = await putEntry(db, tenant, { map: "delta", key: "k" }, prepareValue("[]", 100));
      expect(written).toMatchObject({ version: 1, created: true });
      expect((await listMapHeaders(db, t.id)).map((map) => map.name)).toEqual(["alpha", "beta", "delta"]);
      await expect(putEntry(db, tenant, { map: "epsilon", key: "k" }, prepareValue("[]", 100))).rejects.toMatchObject({ code: "limit_exceeded" });
    });
  });
});
