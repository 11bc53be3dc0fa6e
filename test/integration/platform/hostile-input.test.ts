import { beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, call, type ApiResponse } from "../../support/api.ts";
import { fetchOpenApi, fillPath, operationsOf, pathParams, planeOf, type Operation } from "../../support/openapi-operations.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

/**
 * Hostile values in every route's path, query and body, driven by /openapi.json. Whatever the input,
 * the answer is the caller's error: no 5xx (this stack has no outage), every 4xx a problem document
 * with `code` and `status`, every 400 with `errors: [{ path, message }]`.
 */
const HOSTILE_SEGMENTS = ["%00", "a%00b", "%ZZ", "%", "%ED%A0%80", "%C0%AF", "x".repeat(4000), "%F0%9F%98%80", "..", "null"];
const cursorOf = (json: string) => Buffer.from(json).toString("base64url");
/** Cursors are opaque, but a client can forge one: what it decodes to must not reach Postgres either. */
const FORGED_CURSORS = ['{"before":"a\\u0000"}', '{"before":"\\ud800"}', '{"at":"\\u0000","id":"\\u0000"}', '{"m":"todos","k":"a\\u0000"}', "[]", "x"].map(cursorOf);
const HOSTILE_QUERY_VALUES = [...HOSTILE_SEGMENTS, "", "-1", "1e309", "0x10", "9".repeat(400), ...FORGED_CURSORS];
const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
/** Raw JSON texts for one field: NUL, lone surrogates, huge strings and numbers, wrong types, deep nesting. */
const HOSTILE_FIELD_JSON = [
  '"a\\u0000b"',
  '"\\u0000"',
  '"\\ud800"',
  '"a\\udc00b"',
  JSON.stringify("x".repeat(100_000)),
  "1e309",
  "-1e309",
  "1.5",
  "-1",
  "true",
  "[]",
  '["\\u0000"]',
  '{"a\\u0000":1}',
  '{"\\ud83d":"x"}',
  '{"a":{"b":"\\u0000"}}',
  deep(600),
  deep(20_000),
];
const HOSTILE_BODIES = ["", " ", "{", "[", "null", "0", '"\\u0000"', '{"\\u0000":"\\u0000"}', '"\\ud800"', "1e309", deep(600), deep(50_000), '{"a":'.repeat(5000)];

function findings(label: string, response: ApiResponse, method: string): string[] {
  const where = `${label} → ${response.status} ${response.text.slice(0, 200)}`;
  if (response.status >= 500) return [`5xx: ${where}`];
  // A HEAD answer has no body to hold a problem document: its status is the whole finding.
  if (response.status < 400 || method === "HEAD") return [];
  const problem = response.body as Record<string, unknown> | undefined;
  const out: string[] = [];
  if (!response.headers.get("content-type")?.startsWith("application/problem+json")) out.push(`not a problem document: ${where}`);
  if (typeof problem?.code !== "string" || problem.status !== response.status) out.push(`problem without code/status: ${where}`);
  if (response.status === 400) {
    const errors = problem?.errors as Array<{ path?: unknown; message?: unknown }> | undefined;
    if (!Array.isArray(errors) || errors.length === 0 || errors.some((e) => typeof e.path !== "string" || typeof e.message !== "string")) {
      out.push(`400 without errors: ${where}`);
    }
  }
  return out;
}

describe("hostile input to every route in /openapi.json", () => {
  let operations: Operation[];
  let tenant: ActiveTenant;
  let params: Record<string, string>;

  const tokenFor = (operation: Operation) => (planeOf(operation) === "admin" ? adminToken() : planeOf(operation) === "tenant" ? tenant.key : null);
  const send = (operation: Operation, path: string, rawBody?: string) =>
    call(operation.method, path, {
      token: tokenFor(operation),
      ...(rawBody !== undefined ? { rawBody, headers: { "Content-Type": "application/json" } } : {}),
    });

  beforeAll(async () => {
    // Deleting the tenant (or its key) would stop the walk short: those run last.
    const destructive = (operation: Operation) => operation.method === "DELETE" && /\{id\}(\/keys\/\{keyId\})?$/.test(operation.path);
    operations = operationsOf(await fetchOpenApi()).sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
    tenant = await activeTenant({ plan: "enterprise" });
    const keys = await admin("GET", `/v1/tenants/${tenant.id}/keys`);
    params = { id: tenant.id, keyId: keys.body.data[0].id, map: "todos", key: "k1", name: "api_key" };
    expect((await tenant.call("PUT", "/v1/maps/todos/k1", { body: { done: false } })).status).toBe(200);
  }, 90_000);

  it("reproduces the issue's cases: 400, not 503", async () => {
    for (const response of [
      await admin("GET", "/v1/tenants/%00/usage"),
      await admin("POST", "/v1/tenants/a%00b/keys", { body: { name: "k" } }),
      await admin("POST", "/v1/tenants", { body: { name: "a\u0000b", plan: "pro" } }),
      await admin("POST", "/v1/tenants", { body: { name: "n", plan: "pro", metadata: { deep: { "x\u0000": "y" } } } }),
      await admin("PATCH", `/v1/tenants/${tenant.id}`, { body: { metadata: { a: ["\u0000"] } } }),
      await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: "k\u0000" } }),
    ]) {
      expect(response.status, response.text).toBe(400);
      expect(response.body.errors?.length, response.text).toBeGreaterThan(0);
    }
    const empty = await admin("POST", "/v1/tenants", { rawBody: "", headers: { "Content-Type": "application/json" } });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ path: "", message: expect.any(String) }]);
    const unparsable = await admin("POST", "/v1/tenants", { rawBody: "{", headers: { "Content-Type": "application/json" } });
    expect(unparsable.body.errors).toEqual([{ path: "", message: expect.any(String) }]);
  });

  it("in bodies whose bytes are not UTF-8: 400, and nothing stored in place of them", async () => {
    const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))));
    const json = { "Content-Type": "application/json" };
    for (const response of [
      await tenant.call("PUT", "/v1/maps/utf8/k", { rawBody: bytes('"', [0xff, 0xfe], '"'), headers: json }),
      await tenant.call("PUT", "/v1/maps/utf8/k", { rawBody: bytes('{"a":"', [0xc3, 0x28], '"}'), headers: json }),
      await tenant.call("PUT", "/v1/maps/utf8/k", { rawBody: bytes('"', [0xed, 0xa0, 0x80], '"'), headers: json }),
      await admin("POST", "/v1/tenants", { rawBody: bytes('{"name":"', [0xc0, 0xaf], '","plan":"pro"}'), headers: json }),
      await admin("POST", `/v1/tenants/${tenant.id}/import`, {
        rawBody: bytes('{"type":"record","map":"utf8","key":"', [0xff], '","value":1,"version":1}'),
        headers: { "Content-Type": "application/x-ndjson" },
      }),
    ]) {
      expect(response.status, response.text).toBe(400);
      expect(response.body).toMatchObject({ code: "invalid_request", errors: [{ path: "", message: "Invalid UTF-8" }] });
    }
    expect((await tenant.call("GET", "/v1/maps/utf8/k")).status).toBe(404);
    // Bytes that are no JSON at all are judged by their media type first, as before: 415, not 400.
    const png = await tenant.call("PUT", "/v1/maps/utf8/k", { rawBody: bytes([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe]), headers: { "Content-Type": "image/png" } });
    expect(png.status, png.text).toBe(415);
    // Well-formed UTF-8 is taken as before: characters of every width, and a leading BOM dropped.
    const stored = await tenant.call("PUT", "/v1/maps/utf8/k", { rawBody: bytes([0xef, 0xbb, 0xbf], '{"v":"é€😀"}'), headers: json });
    expect(stored.status, stored.text).toBe(200);
    expect((await tenant.call("GET", "/v1/maps/utf8/k")).body.value).toEqual({ v: "é€😀" });
  });

  it("in path parameters", async () => {
    const out: string[] = [];
    for (const operation of operations) {
      for (const name of pathParams(operation.path)) {
        for (const hostile of HOSTILE_SEGMENTS) {
          const path = fillPath(operation.path, { ...params, [name]: hostile });
          out.push(...findings(`${operation.operationId} ${operation.method} ${path.slice(0, 120)}`, await send(operation, path, operation.takesJsonBody ? "{}" : undefined), operation.method));
        }
      }
    }
    expect(out).toEqual([]);
  }, 240_000);

  it("in query values, declared or not", async () => {
    const out: string[] = [];
    for (const operation of operations) {
      const base = fillPath(operation.path, params);
      for (const name of [...operation.queryParams, "unexpected"]) {
        for (const hostile of HOSTILE_QUERY_VALUES) {
          const path = `${base}?${name}=${hostile}`;
          out.push(...findings(`${operation.operationId} ${operation.method} ${path.slice(0, 120)}`, await send(operation, path, operation.takesJsonBody ? "{}" : undefined), operation.method));
        }
      }
    }
    expect(out).toEqual([]);
  }, 240_000);

  it("in bodies and in every body field", async () => {
    const out: string[] = [];
    for (const operation of operations.filter((op) => op.takesJsonBody || ["POST", "PUT", "PATCH"].includes(op.method))) {
      const path = fillPath(operation.path, params);
      const label = `${operation.operationId} ${operation.method} ${path}`;
      for (const body of HOSTILE_BODIES) out.push(...findings(`${label} body ${body.slice(0, 40)}`, await send(operation, path, body), operation.method));
      for (const field of operation.bodyProperties ?? []) {
        for (const value of HOSTILE_FIELD_JSON) {
          const body = `{${JSON.stringify(field)}:${value}}`;
          out.push(...findings(`${label} ${field}=${value.slice(0, 40)}`, await send(operation, path, body), operation.method));
        }
      }
    }
    expect(out).toEqual([]);
  }, 240_000);
});
