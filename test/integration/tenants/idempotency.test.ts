import { describe, expect, it } from "vitest";
import { admin, expectProblem } from "../../support/api.ts";
import { count } from "../../support/postgres.ts";

const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
const create = (body: unknown, key?: string) => admin("POST", "/v1/tenants", { body, headers: key ? { "Idempotency-Key": key } : {} });

describe("POST /v1/tenants with Idempotency-Key", () => {
  it("replays the identical response, API key included, and makes one tenant", async () => {
    const key = unique("idem");
    const body = { name: unique("replay"), plan: "pro", metadata: { a: 1, b: [1, 2] } };
    const first = await create(body, key);
    expect(first.status).toBe(202);
    const second = await create(body, key);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.body.apiKey.key).toBe(first.body.apiKey.key);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await count("select 1 from tenants where name = $1", [body.name])).toBe(1);
    expect(await count("select 1 from audit_events where tenant_id = $1 and action = 'tenant.created'", [first.body.tenant.id])).toBe(1);
  });

  it("treats the same body with members in another order as the same request", async () => {
    const key = unique("order");
    const name = unique("order");
    const first = await create({ name, plan: "free", metadata: { x: 1, y: 2 } }, key);
    const second = await create({ metadata: { y: 2, x: 1 }, plan: "free", name }, key);
    expect(second.status).toBe(202);
    expect(second.body.tenant.id).toBe(first.body.tenant.id);
  });

  it("answers 409 for the same key with another body, and creates nothing", async () => {
    const key = unique("clash");
    const name = unique("clash");
    expect((await create({ name, plan: "pro" }, key)).status).toBe(202);
    expectProblem(await create({ name, plan: "free" }, key), 409, "conflict");
    expect(await count("select 1 from tenants where name = $1", [name])).toBe(1);
  });

  it("makes exactly one tenant when the same key arrives concurrently", async () => {
    const key = unique("race");
    const body = { name: unique("race"), plan: "pro" };
    const responses = await Promise.all(Array.from({ length: 8 }, () => create(body, key)));
    // The first claim holds the key's row lock until it commits; the others wait, then replay.
    for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBe(202);
    const [first] = responses;
    for (const response of responses) expect(response.body).toEqual(first!.body);
    expect(responses.filter((response) => response.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    expect(await count("select 1 from tenants where name = $1", [body.name])).toBe(1);
    expect(await count("select 1 from api_keys where tenant_id = $1", [first!.body.tenant.id])).toBe(1);
  });

  it("makes a new tenant per request without a key, and rejects a malformed key", async () => {
    const body = { name: unique("plain"), plan: "free" };
    const a = await create(body);
    const b = await create(body);
    expect(a.body.tenant.id).not.toBe(b.body.tenant.id);
    expectProblem(await create(body, "x".repeat(256)), 400, "invalid_request");
    expectProblem(await create(body, "has space"), 400, "invalid_request");
  });
});
