import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/http/problem.ts";
import { mapFromPath, prefixFromQuery, queryValue, recordFromPath } from "../../src/storage/maps/address.ts";
import { checkKey, checkMapName, codePointLength, newKeyProblem } from "../../src/storage/maps/names.ts";
import { MAX_VALUE_DEPTH, prepareValue } from "../../src/storage/maps/value.ts";

function problemOf(run: () => unknown): { code: string; status: number; detail: string; errors?: unknown; limit?: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, status: error.status, detail: error.message, ...error.extras };
    throw error;
  }
  throw new Error("expected an ApiError");
}

describe("map names", () => {
  it.each(["a", "A-Z_09", "x".repeat(64), "__smoke__", "-"])("accepts %s", (name) => {
    expect(checkMapName(name)).toBe(name);
  });

  it.each(["", "x".repeat(65), "a b", "a.b", "a/b", "é", "a%20", "a\u0000"])("refuses %j", (name) => {
    expect(problemOf(() => checkMapName(name))).toMatchObject({ code: "invalid_request", errors: [{ path: "path.map" }] });
  });
});

describe("keys", () => {
  it("refuses to make records under `.` and `..`, which no URL can address, and only those", () => {
    expect(newKeyProblem(".")).toMatch(/cannot be addressed/);
    expect(newKeyProblem("..")).toMatch(/cannot be addressed/);
    for (const key of ["...", "..x", ".a", "a.", "../x", "%2E"]) expect(newKeyProblem(key), key).toBeUndefined();
    expect(newKeyProblem("")).toBe("Keys may not be empty.");
    // Reads, lists and deletes still take them: a record made before the rule stays reachable over realtime.
    expect(checkKey("..")).toBe("..");
  });

  it("counts Unicode code points, not UTF-16 units", () => {
    expect(codePointLength("😀".repeat(512))).toBe(512);
    expect("😀".repeat(512).length).toBe(1024);
    expect(checkKey("😀".repeat(512))).toHaveLength(1024);
    expect(checkKey("a".repeat(512))).toHaveLength(512);
    expect(checkKey("é".repeat(512))).toHaveLength(512);
  });

  it.each([
    ["513 code points", "a".repeat(513)],
    ["513 emoji", "😀".repeat(513)],
    ["512 emoji and one more", "😀".repeat(512) + "a"],
  ])("refuses %s", (_name, key) => {
    expect(problemOf(() => checkKey(key)).errors).toEqual([{ path: "path.key", message: "Keys are at most 512 Unicode code points." }]);
  });

  it("refuses unpaired surrogates (only reachable through a forged cursor)", () => {
    expect(problemOf(() => checkKey("a\ud800")).code).toBe("invalid_request");
    expect(problemOf(() => checkKey("\udc00")).code).toBe("invalid_request");
  });

  it("refuses the empty key", () => {
    expect(problemOf(() => checkKey("")).code).toBe("invalid_request");
  });

  it.each([0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f])("refuses control character U+%s", (code) => {
    expect(problemOf(() => checkKey(`a${String.fromCharCode(code)}b`)).detail).toMatch(/control characters/);
  });

  it.each([" ", "~", "\u0080", "\u00a0", "\u2028", "\ufeff", "'; drop table map_records; --", "..", "a/b", "%2F", "\\", "😀"])(
    "accepts %j",
    (key) => {
      expect(checkKey(key)).toBe(key);
    },
  );
});

describe("record addresses from the raw path", () => {
  it("decodes the key segment once", () => {
    expect(recordFromPath("/v1/maps/todos/a%2Fb")).toEqual({ map: "todos", key: "a/b" });
    expect(recordFromPath("/v1/maps/todos/%252F")).toEqual({ map: "todos", key: "%2F" });
    expect(recordFromPath("/v1/maps/todos/%F0%9F%98%80%20x")).toEqual({ map: "todos", key: "😀 x" });
    expect(recordFromPath("/v1/maps/todos/a+b")).toEqual({ map: "todos", key: "a+b" });
    expect(recordFromPath("/v1/maps/todos/%2e%2e")).toEqual({ map: "todos", key: ".." });
    expect(recordFromPath("/v1/maps/a%2Db/k")).toEqual({ map: "a-b", key: "k" });
  });

  it.each(["/v1/maps/m/%E0%A4%A", "/v1/maps/m/%ZZ", "/v1/maps/m/%", "/v1/maps/m/a%2", "/v1/maps/m/%C3", "/v1/maps/m/%ED%A0%80", "/v1/maps/m/%FF"])(
    "answers 400 to the malformed encoding in %s",
    (path) => {
      expect(problemOf(() => recordFromPath(path))).toMatchObject({ code: "invalid_request", errors: [{ path: "path.key", message: "Malformed percent-encoding." }] });
    },
  );

  it.each([
    ["/v1/maps/m/a/b", "path.key"],
    ["/v1/maps/m/k/", "path.key"],
    ["/v1/maps/m/", "path.key"],
    ["/v1/maps/m/%00", "path.key"],
    ["/v1/maps/m/a%0Ab", "path.key"],
    ["/v1/maps/m%2Fx/k", "path.map"],
    ["/v1/maps/%ZZ/k", "path.map"],
    ["/v1/maps/../k", "path.map"],
  ])("refuses %s", (path, field) => {
    expect(problemOf(() => recordFromPath(path))).toMatchObject({ code: "invalid_request", errors: [{ path: field }] });
  });

  it("reads a map name alone", () => {
    expect(mapFromPath("/v1/maps/todos")).toBe("todos");
    expect(problemOf(() => mapFromPath("/v1/maps/to%20dos")).code).toBe("invalid_request");
  });
});

describe("query values from the raw query", () => {
  it("decodes strictly, with + as a space", () => {
    expect(queryValue("?prefix=a%25_b&limit=3", "prefix")).toBe("a%_b");
    expect(queryValue("?prefix=a+b", "prefix")).toBe("a b");
    expect(queryValue("?prefix=a%2Bb", "prefix")).toBe("a+b");
    expect(queryValue("?pr%65fix=x", "prefix")).toBe("x");
    expect(queryValue("?limit=3", "prefix")).toBeUndefined();
    expect(queryValue("", "prefix")).toBeUndefined();
    expect(queryValue("?prefix", "prefix")).toBe("");
    expect(queryValue("?prefix=a&prefix=b", "prefix")).toBe("a");
  });

  it("refuses malformed encodings and invalid prefixes", () => {
    expect(problemOf(() => prefixFromQuery("?prefix=%E0%A4%A"))).toMatchObject({ code: "invalid_request", errors: [{ path: "query.prefix" }] });
    expect(problemOf(() => prefixFromQuery("?prefix=a%00"))).toMatchObject({ code: "invalid_request", errors: [{ path: "query.prefix" }] });
    expect(problemOf(() => prefixFromQuery(`?prefix=${"a".repeat(513)}`)).code).toBe("invalid_request");
    expect(prefixFromQuery("?prefix=")).toBe("");
  });
});

describe("values", () => {
  it("measures the compact JSON text in UTF-8 bytes", () => {
    expect(prepareValue('{ "a" : [1, 2.50, "é"] }', 100)).toEqual({ value: { a: [1, 2.5, "é"] }, json: '{"a":[1,2.5,"é"]}', bytes: 18 });
    expect(prepareValue("null", 4)).toEqual({ value: null, json: "null", bytes: 4 });
    expect(prepareValue('"\\u00e9"', 4).bytes).toBe(4);
  });

  it("takes every JSON type", () => {
    for (const value of [null, true, false, 0, -1.5e-7, "", "text", "😀 \ud83d\ude00", [], {}, [1, [2, [3]]], { a: { b: null } }]) {
      expect(prepareValue(JSON.stringify(value), 1000).value).toEqual(value);
    }
  });

  it("answers 413 with the limit just past maxValueBytes", () => {
    const at = JSON.stringify("x".repeat(98));
    expect(prepareValue(at, 100).bytes).toBe(100);
    expect(problemOf(() => prepareValue(JSON.stringify("x".repeat(99)), 100))).toMatchObject({ code: "payload_too_large", status: 413, limit: 100 });
  });

  it("never allows more than the platform's 1 MiB, whatever the tenant's limit", () => {
    expect(problemOf(() => prepareValue(JSON.stringify("x".repeat(1_048_575)), 10_000_000))).toMatchObject({ code: "payload_too_large", limit: 1_048_576 });
  });

  it.each([
    ["an empty body", ""],
    ["whitespace", "  \n"],
    ["malformed JSON", "{"],
  ])("refuses %s, naming the body as a whole", (_name, body) => {
    expect(problemOf(() => prepareValue(body, 10_000_000))).toMatchObject({ code: "invalid_request", errors: [{ path: "" }] });
  });

  it.each([
    ["U+0000 in a string", '"a\\u0000b"'],
    ["U+0000 in a member name", '{"a\\u0000":1}'],
    ["an unpaired high surrogate", '"\\ud800"'],
    ["an unpaired low surrogate", '["a\\udc00b"]'],
    ["an unpaired surrogate in a member name", '{"\\ud83d":1}'],
    ["a number beyond doubles", "1e400"],
    ["nesting past the limit", "[".repeat(MAX_VALUE_DEPTH + 1) + "]".repeat(MAX_VALUE_DEPTH + 1)],
  ])("refuses %s", (_name, body) => {
    expect(problemOf(() => prepareValue(body, 10_000_000))).toMatchObject({ code: "invalid_request", errors: [{ path: "body" }] });
  });

  it("takes nesting up to the limit", () => {
    const body = "[".repeat(MAX_VALUE_DEPTH) + "]".repeat(MAX_VALUE_DEPTH);
    expect(prepareValue(body, 10_000).json).toBe(body);
  });
});
