import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, expectProblem } from "../../support/api.ts";
import type { ActiveTenant } from "../../support/tenants.ts";
import { byteOrder, putAll, rawCall, recordPath, tenantOn, TIERS } from "../../support/maps.ts";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(TIERS)("Maps API on the $tier tier", ({ tier }) => {
  let t: ActiveTenant;
  beforeAll(async () => {
    t = await tenantOn(tier);
  });

  describe("PUT, GET, DELETE /v1/maps/{map}/{key}", () => {
    it("creates at version 1, adds 1 per write, and tags every answer with the version", async () => {
      const created = await t.call("PUT", recordPath("profiles", "ada"), { body: { name: "Ada" } });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ map: "profiles", key: "ada", version: 1, updatedAt: expect.stringMatching(ISO) });
      expect(created.headers.get("etag")).toBe('"1"');

      const read = await t.call("GET", recordPath("profiles", "ada"));
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ map: "profiles", key: "ada", value: { name: "Ada" }, version: 1, updatedAt: created.body.updatedAt });
      expect(read.headers.get("etag")).toBe('"1"');

      const second = await t.call("PUT", recordPath("profiles", "ada"), { body: { name: "Ada", born: 1815 } });
      expect(second.body.version).toBe(2);
      expect(second.headers.get("etag")).toBe('"2"');
      expect(Date.parse(second.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));
      const third = await t.call("PUT", recordPath("profiles", "ada"), { body: "same size?" });
      expect(third.body.version).toBe(3);
      expect((await t.call("GET", recordPath("profiles", "ada"))).body).toMatchObject({ value: "same size?", version: 3 });
    });

    it("deletes with 204, then answers 404; a re-created key starts again at version 1", async () => {
      await t.call("PUT", recordPath("trash", "k"), { body: 1 });
      await t.call("PUT", recordPath("trash", "k"), { body: 2 });
      const deleted = await t.call("DELETE", recordPath("trash", "k"));
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectProblem(await t.call("GET", recordPath("trash", "k")), 404, "not_found");
      expectProblem(await t.call("DELETE", recordPath("trash", "k")), 404, "not_found");
      expect((await t.call("PUT", recordPath("trash", "k"), { body: 3 })).body.version).toBe(1);
    });

    it("answers 404 for a key never written and for a map that does not exist", async () => {
      expectProblem(await t.call("GET", recordPath("profiles", "nobody")), 404, "not_found");
      expectProblem(await t.call("GET", recordPath("no-such-map", "k")), 404, "not_found");
      const empty = await t.call("GET", "/v1/maps/no-such-map");
      expect(empty.body).toEqual({ data: [], nextCursor: null });
    });
  });

  describe("PUT /v1/maps/{map}/{key}: values", () => {
    const values: Array<[string, unknown]> = [
      ["null", null],
      ["true", true],
      ["false", false],
      ["zero", 0],
      ["a negative fraction", -12.375],
      ["a large number", 1.7976931348623157e308],
      ["a tiny number", 5e-324],
      ["an integer at 2^53", 9007199254740992],
      ["an empty string", ""],
      ["a string of digits", "123"],
      ["the string null", "null"],
      ["a JSON-looking string", '{"a":1}'],
      ["unicode text", "é 😀 \u2028 \ufeff ä"],
      ["an empty array", []],
      ["an empty object", {}],
      ["a mixed array", [1, "two", null, [true, { three: 3 }]]],
      ["a nested object", { a: { b: { c: [1, 2, 3] } }, "": "empty member name", "😀": "emoji name" }],
      ["a map-ish value", { tenant_id: "ten_other", map: "x", key: "y", value: 1, version: 99 }],
    ];

    it.each(values)("stores %s exactly", async (name, value) => {
      const key = `value-${name}`;
      expect((await t.call("PUT", recordPath("values", key), { body: value })).status).toBe(200);
      const read = await t.call("GET", recordPath("values", key));
      expect(read.status).toBe(200);
      expect(read.body.value).toStrictEqual(value);
    });

    it("stores 512 levels of nesting and refuses 513", async () => {
      const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
      expect((await t.call("PUT", recordPath("values", "deep"), { rawBody: nested(512), headers: { "Content-Type": "application/json" } })).status).toBe(200);
      expect((await t.call("GET", recordPath("values", "deep"))).text).toContain(nested(512));
      expectProblem(await t.call("PUT", recordPath("values", "deeper"), { rawBody: nested(513), headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
    });

    it("refuses a body that is not a storable JSON value", async () => {
      const put = (rawBody: string, contentType = "application/json") => t.call("PUT", recordPath("values", "bad"), { rawBody, headers: { "Content-Type": contentType } });
      expectProblem(await put("hello", "text/plain"), 415, "unsupported_media_type");
      const malformed = expectProblem(await put("{"), 400, "invalid_request");
      expect(malformed).toMatchObject({ errors: [{ path: "" }] });
      // A body refused is still a data-plane response of the tenant's: limits applied, headers set.
      for (const refused of [await put("{"), await put("hello", "text/plain")]) {
        expect(refused.headers.get("ratelimit")).toMatch(/^"burst";r=\d+;t=\d+/);
        expect(refused.headers.get("ratelimit-policy")).toContain('"burst"');
      }
      // The caller comes first: a bad credential is 401 whatever the body.
      const stranger = await call("PUT", recordPath("values", "bad"), { token: "tk_unknown", rawBody: "{", headers: { "Content-Type": "application/json" } });
      expectProblem(stranger, 401, "unauthenticated");
      expectProblem(await put("[1,]"), 400, "invalid_request");
      expectProblem(await put(""), 400, "invalid_request");
      expectProblem(await t.call("PUT", recordPath("values", "bad")), 400, "invalid_request");
      expectProblem(await put('"a\\u0000b"'), 400, "invalid_request");
      expectProblem(await put('{"half":"\\ud800"}'), 400, "invalid_request");
      expectProblem(await put("1e400"), 400, "invalid_request");
      expectProblem(await t.call("GET", recordPath("values", "bad")), 404, "not_found");
    });
  });

  describe("PUT and DELETE /v1/maps/{map}/{key}: If-Match", () => {
    it("writes only at the expected version", async () => {
      const path = recordPath("cas", "counter");
      await t.call("PUT", path, { body: 0 });
      const ok = await t.call("PUT", path, { body: 1, headers: { "If-Match": '"1"' } });
      expect(ok.status).toBe(200);
      expect(ok.body.version).toBe(2);
      const stale = expectProblem(await t.call("PUT", path, { body: 99, headers: { "If-Match": '"1"' } }), 412, "version_conflict");
      expect(stale.detail).toBeTruthy();
      expect((await t.call("GET", path)).body).toMatchObject({ value: 1, version: 2 });
      expect((await t.call("PUT", path, { body: 2, headers: { "If-Match": '"7", "2"' } })).body.version).toBe(3);
      expect((await t.call("PUT", path, { body: 3, headers: { "If-Match": "*" } })).body.version).toBe(4);
      expectProblem(await t.call("PUT", path, { body: 4, headers: { "If-Match": 'W/"4"' } }), 412, "version_conflict");
      expectProblem(await t.call("PUT", path, { body: 4, headers: { "If-Match": "4" } }), 400, "invalid_request");
    });

    it("answers 412 for a key that does not exist, and creates nothing", async () => {
      expectProblem(await t.call("PUT", recordPath("cas", "absent"), { body: 1, headers: { "If-Match": '"1"' } }), 412, "version_conflict");
      expectProblem(await t.call("PUT", recordPath("cas", "absent"), { body: 1, headers: { "If-Match": "*" } }), 412, "version_conflict");
      expectProblem(await t.call("GET", recordPath("cas", "absent")), 404, "not_found");
    });

    it("guards deletes too", async () => {
      const path = recordPath("cas", "doomed");
      await t.call("PUT", path, { body: 1 });
      expectProblem(await t.call("DELETE", path, { headers: { "If-Match": '"2"' } }), 412, "version_conflict");
      expect((await t.call("GET", path)).status).toBe(200);
      expect((await t.call("DELETE", path, { headers: { "If-Match": '"1"' } })).status).toBe(204);
      expectProblem(await t.call("DELETE", path, { headers: { "If-Match": '"1"' } }), 412, "version_conflict");
    });

    it("lets exactly one of many concurrent writers at the same version win", async () => {
      const path = recordPath("cas", "race");
      await t.call("PUT", path, { body: "start" });
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => t.call("PUT", path, { body: i, headers: { "If-Match": '"1"' } })));
      const outcomes = answers.map((answer) => `${answer.status} ${answer.body?.code ?? ""} ${answer.body?.detail ?? ""}`).join("; ");
      expect(answers.filter((answer) => answer.status === 200), outcomes).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 412), outcomes).toHaveLength(9);
      expect((await t.call("GET", path)).body.version).toBe(2);
    });
  });

  describe("/v1/maps/{map}/{key}: keys", () => {
    const keys = [
      "a/b",
      "/leading/slash/",
      "..",
      "../../tenants",
      "..x",
      ".",
      "a b",
      " ",
      "😀",
      "é",
      "e\u0301",
      `"quoted" 'single'`,
      "'; drop table map_records; --",
      "' or '1'='1",
      "%2F",
      "%252F",
      "100%",
      "a%_b",
      "\\back\\slash",
      "?query=1&x#fragment",
      "+plus+",
      "\u00a0nbsp",
      "\u2028line separator",
      "tab\u0080c1",
    ];
    const addressable = keys.filter((key) => key !== "." && key !== "..");

    it("round-trip exactly through put, get, list and delete", async () => {
      await putAll(t, "keys", addressable.map((key) => [key, { key }]));
      const echoed = await t.call("PUT", recordPath("keys", "'; drop table map_records; --"), { body: { key: "'; drop table map_records; --" } });
      expect(echoed.body).toMatchObject({ map: "keys", key: "'; drop table map_records; --", version: 2 });
      const reads = await Promise.all(addressable.map((key) => t.call("GET", recordPath("keys", key))));
      reads.forEach((read, i) => expect(read.body, addressable[i]).toMatchObject({ map: "keys", key: addressable[i], value: { key: addressable[i] } }));
      const listed = await t.call("GET", "/v1/maps/keys?limit=1000");
      expect(listed.body.data.map((record: { key: string }) => record.key)).toEqual(byteOrder(addressable));
      for (const record of listed.body.data) expect(record.value).toEqual({ key: record.key });
      const deletes = await Promise.all(addressable.map((key) => t.call("DELETE", recordPath("keys", key))));
      expect(deletes.map((answer) => answer.status)).toEqual(addressable.map(() => 204));
      expect((await t.call("GET", "/v1/maps/keys")).body.data).toEqual([]);
    });

    it("take 512 code points, counted as code points, and refuse 513", async () => {
      const emoji = "😀".repeat(512);
      expect((await t.call("PUT", recordPath("keys", emoji), { body: 1 })).status).toBe(200);
      expect((await t.call("GET", recordPath("keys", emoji))).body.key).toBe(emoji);
      expect((await t.call("PUT", recordPath("keys", "k".repeat(512)), { body: 1 })).status).toBe(200);
      expectProblem(await t.call("PUT", recordPath("keys", "😀".repeat(513)), { body: 1 }), 400, "invalid_request");
      expectProblem(await t.call("PUT", recordPath("keys", "k".repeat(513)), { body: 1 }), 400, "invalid_request");
      expectProblem(await t.call("GET", recordPath("keys", "k".repeat(513))), 400, "invalid_request");
      await t.call("DELETE", recordPath("keys", emoji));
      await t.call("DELETE", recordPath("keys", "k".repeat(512)));
    });

    it.each([
      ["U+0000", "a%00b"],
      ["U+001F", "a%1Fb"],
      ["U+007F", "a%7Fb"],
      ["a newline", "a%0Ab"],
      ["a tab", "%09"],
      ["a truncated UTF-8 sequence", "%E0%A4%A"],
      ["an invalid escape", "%ZZ"],
      ["a lone %", "100%"],
      ["an encoded surrogate", "%ED%A0%80"],
      ["invalid UTF-8", "%C3%28"],
    ])("refuse %s with 400", async (_name, segment) => {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const response = await rawCall(method, `/v1/maps/keys/${segment}`, t.key, method === "PUT" ? { body: "1" } : {});
        const problem = expectProblem(response, 400, "invalid_request");
        expect(problem.errors).toEqual([{ path: "path.key", message: expect.any(String) }]);
      }
    });

    it("refuse an empty key and extra path segments with 400", async () => {
      expectProblem(await rawCall("PUT", "/v1/maps/keys/", t.key, { body: "1" }), 400, "invalid_request");
      expectProblem(await rawCall("PUT", "/v1/maps/keys/a/b", t.key, { body: "1" }), 400, "invalid_request");
      expectProblem(await rawCall("GET", "/v1/maps/keys/a/b/", t.key), 400, "invalid_request");
      expectProblem(await t.call("GET", recordPath("keys", "a/b")), 404, "not_found");
    });
  });

  describe("/v1/maps/{map}: map names", () => {
    it.each(["a.b", "a%20b", "%C3%A9", "x".repeat(65), "a%2Fb", "%ZZ"])("refuse %s with 400 on every route", async (map) => {
      expectProblem(await rawCall("PUT", `/v1/maps/${map}/k`, t.key, { body: "1" }), 400, "invalid_request");
      expectProblem(await rawCall("GET", `/v1/maps/${map}/k`, t.key), 400, "invalid_request");
      expectProblem(await rawCall("DELETE", `/v1/maps/${map}/k`, t.key), 400, "invalid_request");
      expectProblem(await rawCall("GET", `/v1/maps/${map}`, t.key), 400, "invalid_request");
    });

    it("accept 64 characters of A-Z a-z 0-9 _ -", async () => {
      const name = "Az09_-".repeat(10) + "abcd";
      expect((await t.call("PUT", recordPath(name, "k"), { body: 1 })).status).toBe(200);
      expect((await t.call("GET", `/v1/maps/${name}`)).body.data).toHaveLength(1);
      await t.call("DELETE", recordPath(name, "k"));
    });
  });

  describe("GET /v1/maps/{map}: lists", () => {
    it("return keys in ascending byte order of their UTF-8 encoding", async () => {
      const keys = ["😀", "é", "a", "B", "~", "\u00ff", "\uffff", "\u{10000}", "Z", "0", " ", "ab", "a\u{10FFFF}", "aa"];
      await putAll(t, "order", keys.map((key, i) => [key, i]));
      const listed = (await t.call("GET", "/v1/maps/order")).body.data.map((record: { key: string }) => record.key);
      expect(listed).toEqual(byteOrder(keys));
      expect(listed.indexOf("B")).toBeLessThan(listed.indexOf("a"));
      expect(listed.indexOf("a")).toBeLessThan(listed.indexOf("é"));
      expect(listed.indexOf("é")).toBeLessThan(listed.indexOf("😀"));
      expect(listed.indexOf("\uffff")).toBeLessThan(listed.indexOf("\u{10000}"));
    });

    it("take the prefix literally: % and _ are characters, not wildcards", async () => {
      const keys = ["a%b", "a%c", "a%", "ab", "axb", "a_", "a_b", "a\\b", "b%", "A%b"];
      await putAll(t, "prefixes", keys.map((key) => [key, key]));
      const list = async (prefix: string) =>
        (await t.call("GET", `/v1/maps/prefixes?prefix=${encodeURIComponent(prefix)}`)).body.data.map((record: { key: string }) => record.key);
      expect(await list("a%")).toEqual(["a%", "a%b", "a%c"]);
      expect(await list("a_")).toEqual(["a_", "a_b"]);
      expect(await list("a\\")).toEqual(["a\\b"]);
      expect(await list("a")).toEqual(byteOrder(keys.filter((key) => key.startsWith("a"))));
      expect(await list("%")).toEqual([]);
      expect(await list("")).toEqual(byteOrder(keys));
      expect(await list("a%b")).toEqual(["a%b"]);
      expect(await list("a%bc")).toEqual([]);
    });

    it("take prefixes beyond ASCII", async () => {
      await putAll(t, "wide", ["é1", "é2", "ê", "😀a", "😀b", "😁"].map((key) => [key, 1]));
      const list = async (prefix: string) =>
        (await t.call("GET", `/v1/maps/wide?prefix=${encodeURIComponent(prefix)}`)).body.data.map((record: { key: string }) => record.key);
      expect(await list("é")).toEqual(["é1", "é2"]);
      expect(await list("😀")).toEqual(["😀a", "😀b"]);
    });

    it("page with an opaque cursor until nextCursor is null", async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, "0")}`);
      await putAll(t, "pages", [...keys.map((key, i) => [key, { i }] as const), ["other-1", 0]]);
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const query: string = `prefix=item-&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page = await t.call("GET", `/v1/maps/pages?${query}`);
        expect(page.status).toBe(200);
        sizes.push(page.body.data.length);
        seen.push(...page.body.data.map((record: { key: string }) => record.key));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(keys);
    });

    it("end with a null cursor when the last page is exactly full", async () => {
      await putAll(t, "exact", [["x1", 1], ["x2", 1]]);
      const page = await t.call("GET", "/v1/maps/exact?limit=2");
      expect(page.body.data).toHaveLength(2);
      expect(page.body.nextCursor).toBeNull();
      const first = await t.call("GET", "/v1/maps/exact?limit=1");
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.call("GET", `/v1/maps/exact?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((record: { key: string }) => record.key)).toEqual(["x2"]);
      expect(second.body.nextCursor).toBeNull();
    });

    it("default to 100 records a page", async () => {
      const keys = Array.from({ length: 101 }, (_, i) => `k${String(i).padStart(3, "0")}`);
      await putAll(t, "hundred", keys.map((key) => [key, 1]));
      const first = await t.call("GET", "/v1/maps/hundred");
      expect(first.body.data).toHaveLength(100);
      const rest = await t.call("GET", `/v1/maps/hundred?cursor=${first.body.nextCursor}`);
      expect(rest.body.data.map((record: { key: string }) => record.key)).toEqual(["k100"]);
    });

    it("stop a page at 4 MiB of records, however high the limit", async () => {
      const big = await tenantOn(tier, { maxValueBytes: 1_048_576 });
      const value = "x".repeat(1_048_574);
      await putAll(big, "big", ["r0", "r1", "r2", "r3", "r4"].map((key) => [key, value]));
      const first = await big.call("GET", "/v1/maps/big?limit=10");
      expect(first.body.data.map((record: { key: string }) => record.key)).toEqual(["r0", "r1", "r2", "r3"]);
      expect(first.body.data[3].value).toBe(value);
      const second = await big.call("GET", `/v1/maps/big?limit=10&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((record: { key: string }) => record.key)).toEqual(["r4"]);
      expect(second.body.nextCursor).toBeNull();
    });

    it("refuse a bad limit, a foreign or forged cursor and a malformed prefix with 400", async () => {
      for (const query of ["limit=0", "limit=1001", "limit=abc", "limit=1.5", "cursor=!!!", "cursor=eyJ4IjoxfQ", "prefix=%E0%A4%A", "prefix=a%00"]) {
        expectProblem(await t.call("GET", `/v1/maps/pages?${query}`), 400, "invalid_request");
      }
      const page = await t.call("GET", "/v1/maps/pages?limit=1");
      expectProblem(await t.call("GET", `/v1/maps/order?cursor=${page.body.nextCursor}`), 400, "invalid_request");
      expect((await t.call("GET", "/v1/maps/pages?limit=1000")).status).toBe(200);
    });
  });

  describe("GET /v1/maps", () => {
    it("counts records and their bytes (key and compact JSON value, UTF-8) per map, and forgets empty maps", async () => {
      const fresh = await tenantOn(tier);
      await fresh.call("PUT", recordPath("alpha", "k1"), { body: { a: 1 } });
      await fresh.call("PUT", recordPath("alpha", "é"), { rawBody: '[ 1, "é" ]', headers: { "Content-Type": "application/json" } });
      await fresh.call("PUT", recordPath("Beta", "x"), { body: null });
      const bytes = { alpha: 2 + '{"a":1}'.length + 2 + '[1,"é"]'.length + 1, Beta: 1 + 4 };
      expect((await fresh.call("GET", "/v1/maps")).body).toEqual({
        data: [
          { name: "Beta", count: 1, bytes: bytes.Beta },
          { name: "alpha", count: 2, bytes: bytes.alpha },
        ],
      });
      await fresh.call("PUT", recordPath("alpha", "k1"), { body: { a: 12345 } });
      await fresh.call("DELETE", recordPath("Beta", "x"));
      expect((await fresh.call("GET", "/v1/maps")).body).toEqual({ data: [{ name: "alpha", count: 2, bytes: bytes.alpha + 4 }] });
    });
  });

  describe("other methods", () => {
    it("answer 405 with Allow", async () => {
      const patch = expectProblem(await t.call("PATCH", recordPath("m", "k"), { body: 1 }), 405, "method_not_allowed");
      expect(patch.detail).toContain("PUT");
      const post = await t.call("POST", "/v1/maps/m", { body: 1 });
      expectProblem(post, 405, "method_not_allowed");
      expect(post.headers.get("allow")).toBe("GET");
      expectProblem(await t.call("DELETE", "/v1/maps"), 405, "method_not_allowed");
    });
  });

  it("meters a get, a list and GET /v1/maps as one read each, a put and a delete as one write each", async () => {
    const fresh = await tenantOn(tier);
    const totals = async () => {
      expect((await admin("POST", `/v1/tenants/${fresh.id}/usage/flush`)).status).toBe(200);
      return (await admin("GET", `/v1/tenants/${fresh.id}/usage?granularity=day`)).body.totals;
    };
    const before = await totals();
    await fresh.call("PUT", recordPath("metered", "a"), { body: 1 });
    await fresh.call("PUT", recordPath("metered", "a"), { body: 2 });
    await fresh.call("GET", recordPath("metered", "a"));
    await fresh.call("GET", "/v1/maps/metered");
    await fresh.call("GET", "/v1/maps");
    await fresh.call("DELETE", recordPath("metered", "a"));
    const after = await totals();
    expect({ requests: after.requests - before.requests, readOps: after.readOps - before.readOps, writeOps: after.writeOps - before.writeOps }).toEqual({
      requests: 6,
      readOps: 3,
      writeOps: 3,
    });
  });

  it("is documented in /openapi.json", async () => {
    const spec = (await call("GET", "/openapi.json")).body;
    expect(Object.keys(spec.paths["/v1/maps/{map}/{key}"]).sort()).toEqual(["delete", "get", "put"]);
    expect(spec.paths["/v1/maps/{map}"].get).toBeTruthy();
    expect(spec.paths["/v1/maps"].get).toBeTruthy();
  });
});
