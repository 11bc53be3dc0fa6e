import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../support/api.ts";
import type { ActiveTenant } from "../../support/tenants.ts";
import { recordPath, tenantOn, TIERS } from "../../support/maps.ts";

/** A JSON string value whose compact JSON text is exactly `bytes` UTF-8 bytes. */
const stringOfBytes = (bytes: number) => "x".repeat(bytes - 2);

/** One fresh tenant per test, each with the overrides it is about, provisioned a few at a time. */
const OVERRIDES = {
  value100: { maxValueBytes: 100 },
  planDefaults: {},
  maps2: { maxMaps: 2 },
  maps5: { maxMaps: 5 },
  unlimited: { maxMaps: null, maxStorageBytes: null },
  storage100: { maxStorageBytes: 100 },
  storage1000: { maxStorageBytes: 1000 },
  churn: {},
} as const;

describe.each(TIERS)("Maps capacity limits on the $tier tier", ({ tier }) => {
  const tenants = {} as Record<keyof typeof OVERRIDES, ActiveTenant>;
  beforeAll(async () => {
    const names = Object.keys(OVERRIDES) as Array<keyof typeof OVERRIDES>;
    for (let i = 0; i < names.length; i += 4) {
      const batch = names.slice(i, i + 4);
      const created = await Promise.all(batch.map((name) => tenantOn(tier, OVERRIDES[name])));
      batch.forEach((name, j) => (tenants[name] = created[j]!));
    }
  });

  describe("maxValueBytes", () => {
    it("takes a value of exactly maxValueBytes (UTF-8 bytes of its compact JSON) and refuses one byte more with 413", async () => {
      const t = tenants.value100;
      expect((await t.call("PUT", recordPath("v", "ascii"), { body: stringOfBytes(100) })).status).toBe(200);
      const over = expectProblem(await t.call("PUT", recordPath("v", "ascii"), { body: stringOfBytes(101) }), 413, "payload_too_large");
      expect(over.limit).toBe(100);
      // 49 × "é" is 98 bytes in UTF-8 (but 49 UTF-16 units); with the quotes, exactly 100.
      expect((await t.call("PUT", recordPath("v", "utf8"), { body: "é".repeat(49) })).status).toBe(200);
      expectProblem(await t.call("PUT", recordPath("v", "utf8"), { body: "é".repeat(49) + "x" }), 413, "payload_too_large");
      // Whitespace in the body is not the value: a pretty-printed body measures as compact JSON.
      const padded = `  ${JSON.stringify(stringOfBytes(100))}  \n`;
      expect((await t.call("PUT", recordPath("v", "padded"), { rawBody: padded, headers: { "Content-Type": "application/json" } })).status).toBe(200);
      expect((await t.call("GET", recordPath("v", "ascii"))).body.value).toBe(stringOfBytes(100));
    });

    it("applies the plan's limit by default", async () => {
      const t = tenants.planDefaults;
      const limit = t.tenant.limits.maxValueBytes as number;
      expect(limit).toBe(tier === "shared" ? 262_144 : 1_048_576);
      expect((await t.call("PUT", recordPath("v", "max"), { body: stringOfBytes(limit) })).status).toBe(200);
      expect(expectProblem(await t.call("PUT", recordPath("v", "max"), { body: stringOfBytes(limit + 1) }), 413, "payload_too_large").limit).toBe(limit);
    });
  });

  describe("maxMaps", () => {
    it("refuses a write that would create one map too many with 403, and nothing else", async () => {
      const t = tenants.maps2;
      expect((await t.call("PUT", recordPath("one", "k"), { body: 1 })).status).toBe(200);
      expect((await t.call("PUT", recordPath("two", "k"), { body: 1 })).status).toBe(200);
      const refused = expectProblem(await t.call("PUT", recordPath("three", "k"), { body: 1 }), 403, "limit_exceeded");
      expect(refused.limit).toBe(2);
      expectProblem(await t.call("GET", recordPath("three", "k")), 404, "not_found");
      // Writes into existing maps go on.
      expect((await t.call("PUT", recordPath("two", "k2"), { body: 2 })).status).toBe(200);
      expect((await t.call("PUT", recordPath("one", "k"), { body: 3 })).status).toBe(200);
      // A map whose last record goes stops counting.
      await t.call("DELETE", recordPath("two", "k"));
      expectProblem(await t.call("PUT", recordPath("three", "k"), { body: 1 }), 403, "limit_exceeded");
      await t.call("DELETE", recordPath("two", "k2"));
      expect((await t.call("PUT", recordPath("three", "k"), { body: 1 })).status).toBe(200);
      expect((await t.call("GET", "/v1/maps")).body.data.map((map: { name: string }) => map.name)).toEqual(["one", "three"]);
    });

    it("holds exactly under 30 concurrent writers creating 30 maps", async () => {
      const t = tenants.maps5;
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => t.call("PUT", recordPath(`race-${i}`, "k"), { body: i })));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(5);
      for (const answer of answers.filter((answer) => answer.status !== 200)) expectProblem(answer, 403, "limit_exceeded");
      const maps = (await t.call("GET", "/v1/maps")).body.data;
      expect(maps).toHaveLength(5);
      const created = answers.flatMap((answer, i) => (answer.status === 200 ? [`race-${i}`] : []));
      expect(maps.map((map: { name: string }) => map.name).sort()).toEqual(created.sort());
    });

    it("is unlimited when null", async () => {
      const t = tenants.unlimited;
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => t.call("PUT", recordPath(`free-${i}`, "k"), { body: i })));
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
      expect((await t.call("GET", "/v1/maps")).body.data).toHaveLength(12);
    });
  });

  describe("maxStorageBytes", () => {
    // A record counts the UTF-8 bytes of its key and of its value's compact JSON: key "k" + 99 bytes = 100.
    it("refuses growth past the limit with 403, and always lets storage shrink", async () => {
      const t = tenants.storage100;
      expect((await t.call("PUT", recordPath("s", "k"), { body: stringOfBytes(99) })).status).toBe(200);
      expect((await t.call("GET", "/v1/maps")).body.data).toEqual([{ name: "s", count: 1, bytes: 100 }]);
      const refused = expectProblem(await t.call("PUT", recordPath("s", "k"), { body: stringOfBytes(100) }), 403, "limit_exceeded");
      expect(refused.limit).toBe(100);
      expectProblem(await t.call("PUT", recordPath("s", "j"), { body: 1 }), 403, "limit_exceeded");
      expectProblem(await t.call("PUT", recordPath("other", "j"), { body: 1 }), 403, "limit_exceeded");
      expect((await t.call("GET", recordPath("s", "k"))).body).toMatchObject({ value: stringOfBytes(99), version: 1 });
      // Same size and smaller are fine.
      expect((await t.call("PUT", recordPath("s", "k"), { body: stringOfBytes(99) })).body.version).toBe(2);
      expect((await t.call("PUT", recordPath("s", "k"), { body: stringOfBytes(49) })).body.version).toBe(3);
      expect((await t.call("PUT", recordPath("s", "j"), { body: stringOfBytes(49) })).status).toBe(200);
      expectProblem(await t.call("PUT", recordPath("s", "i"), { body: 1 }), 403, "limit_exceeded");
      await t.call("DELETE", recordPath("s", "j"));
      expect((await t.call("PUT", recordPath("s", "i"), { body: 1 })).status).toBe(200);
      expect((await t.call("GET", "/v1/maps")).body.data).toEqual([{ name: "s", count: 2, bytes: 50 + 2 }]);
    });

    it("holds exactly under 30 concurrent writers", async () => {
      const t = tenants.storage1000;
      // Each record: a 3-byte key and a 97-byte value, 100 bytes; ten fit.
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => t.call("PUT", recordPath(`m${i % 3}`, `k${String(i).padStart(2, "0")}`), { body: stringOfBytes(97) })),
      );
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
      for (const answer of answers.filter((answer) => answer.status !== 200)) expectProblem(answer, 403, "limit_exceeded");
      const maps: Array<{ count: number; bytes: number }> = (await t.call("GET", "/v1/maps")).body.data;
      expect(maps.reduce((sum, map) => sum + map.bytes, 0)).toBe(1000);
      expect(maps.reduce((sum, map) => sum + map.count, 0)).toBe(10);
    });
  });

  describe("counts under concurrency", () => {
    it("stay exact when many writers create, rewrite and delete the same keys at once", async () => {
      const t = tenants.churn;
      const same = await Promise.all(Array.from({ length: 20 }, (_, i) => t.call("PUT", recordPath("hot", "key"), { body: i })));
      expect(same.map((answer) => answer.status)).toEqual(same.map(() => 200));
      expect(same.map((answer) => answer.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

      const churn = Array.from({ length: 60 }, (_, i) => {
        const key = `c${i % 6}`;
        return i % 3 === 2 ? t.call("DELETE", recordPath("churn", key)) : t.call("PUT", recordPath("churn", key), { body: "v".repeat(i) });
      });
      const unexpected = (await Promise.all(churn)).filter((answer) => ![200, 204, 404].includes(answer.status));
      expect(unexpected.map((answer) => `${answer.status} ${answer.text}`)).toEqual([]);

      const listed = (await t.call("GET", "/v1/maps/churn")).body.data as Array<{ key: string; value: string }>;
      const expectedBytes = listed.reduce((sum, record) => sum + record.key.length + JSON.stringify(record.value).length, 0);
      const maps = (await t.call("GET", "/v1/maps")).body.data as Array<{ name: string; count: number; bytes: number }>;
      const hot = (await t.call("GET", recordPath("hot", "key"))).body;
      expect(hot.version).toBe(20);
      expect(maps.find((map) => map.name === "hot")).toEqual({ name: "hot", count: 1, bytes: 3 + JSON.stringify(hot.value).length });
      if (listed.length === 0) expect(maps.find((map) => map.name === "churn")).toBeUndefined();
      else expect(maps.find((map) => map.name === "churn")).toEqual({ name: "churn", count: listed.length, bytes: expectedBytes });
    });
  });
});
