import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { admin, call, createTenant, eventually, expectProblem } from "../../support/api.ts";
import { auditEvents, createActive } from "../../support/control-plane.ts";
import { sql } from "../../support/postgres.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("POST /v1/tenants/{id}/keys, GET /v1/tenants/{id}/keys, DELETE /v1/tenants/{id}/keys/{keyId}", () => {
  it("creates a key whose secret is shown once and stored only as its SHA-256", async () => {
    const { tenant } = await createTenant();
    const response = await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: "ci" } });
    expect(response.status).toBe(201);
    const key = response.body;
    expect(Object.keys(key).sort()).toEqual(["createdAt", "expiresAt", "id", "key", "name", "scopes", "start"]);
    expect(key.id).toMatch(/^key_[0-9a-z]{26}$/);
    expect(key.key).toMatch(/^tk_[1-9A-HJ-NP-Za-km-z]{30,}$/);
    expect(key.key.startsWith(key.start)).toBe(true);
    expect(key).toMatchObject({ name: "ci", scopes: ["read", "write"], expiresAt: null });

    const [row] = await sql("select * from api_keys where id = $1", [key.id]);
    expect(row.hash).toBe(sha256(key.key));
    expect(JSON.stringify(row)).not.toContain(key.key);

    const [event] = await auditEvents(tenant.id, "key.created").then((events) => events.filter((e) => e.details.keyId === key.id));
    expect(event).toMatchObject({ actor: "admin", details: { keyId: key.id, name: "ci", scopes: ["read", "write"] } });
    expect(JSON.stringify(event)).not.toContain(key.key);
  });

  it("keeps scopes and a future expiry, and the key works on the data plane", async () => {
    const { tenant } = await createActive();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const response = await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: "reader", scopes: ["read"], expiresAt } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ scopes: ["read"], expiresAt });
    expect((await call("GET", "/v1/me", { token: response.body.key })).status).toBe(200);
  });

  it("lists keys without secrets, oldest first, revoked ones marked", async () => {
    const created = await createTenant();
    const id = created.tenant.id;
    const second = await admin("POST", `/v1/tenants/${id}/keys`, { body: { name: "second", scopes: ["write"] } });
    expect((await admin("DELETE", `/v1/tenants/${id}/keys/${second.body.id}`)).status).toBe(204);
    const list = await admin("GET", `/v1/tenants/${id}/keys`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((key: any) => key.id)).toEqual([created.apiKey.id, second.body.id]);
    for (const key of list.body.data) {
      expect(Object.keys(key).sort()).toEqual(["createdAt", "expiresAt", "id", "name", "revokedAt", "scopes", "start"]);
    }
    expect(list.body.data[0]).toMatchObject({ name: "default", scopes: ["read", "write"], revokedAt: null });
    expect(list.body.data[1].revokedAt).toBeTruthy();
    expect(list.text).not.toContain(created.apiKey.key);
    expect(list.text).not.toContain(second.body.key);
  });

  it("revokes a key at once (401 on the data plane), idempotently, audited once", async () => {
    const { tenant, apiKey } = await createActive();
    expect((await call("GET", "/v1/me", { token: apiKey.key })).status).toBe(200);
    const revoked = await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${apiKey.id}`);
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe("");
    await eventually(async () => (await call("GET", "/v1/me", { token: apiKey.key })).status === 401, 1500, 50);
    const [row] = await sql("select revoked_at from api_keys where id = $1", [apiKey.id]);
    expect(row.revoked_at).toBeTruthy();

    expect((await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${apiKey.id}`)).status).toBe(204);
    const events = await auditEvents(tenant.id, "key.revoked");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: "admin", details: { keyId: apiKey.id } });
  });

  it("answers 404 for an unknown key and for another tenant's key, which stays valid", async () => {
    const one = await createTenant();
    const other = await createTenant();
    expectProblem(await admin("DELETE", `/v1/tenants/${one.tenant.id}/keys/key_00000000000000000000000000`), 404, "not_found");
    expectProblem(await admin("DELETE", `/v1/tenants/${one.tenant.id}/keys/${other.apiKey.id}`), 404, "not_found");
    const [row] = await sql("select revoked_at from api_keys where id = $1", [other.apiKey.id]);
    expect(row.revoked_at).toBeNull();
  });

  it("rejects bad input with 400 problem documents", async () => {
    const { tenant } = await createTenant();
    const post = (body: unknown) => admin("POST", `/v1/tenants/${tenant.id}/keys`, { body });
    const past = expectProblem(await post({ name: "old", expiresAt: new Date(Date.now() - 1000).toISOString() }), 400, "invalid_request");
    expect((past.errors as any[])[0].path).toBe("body.expiresAt");
    for (const body of [
      {},
      { name: "" },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["admin"] },
      { name: "x", scopes: ["read", "read"] },
      { name: "x", expiresAt: "tomorrow" },
      { name: "x", extra: true },
      { name: 42 },
    ]) {
      expectProblem(await post(body), 400, "invalid_request");
    }
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/keys`, { rawBody: "name", headers: { "Content-Type": "text/plain" } }), 415, "unsupported_media_type");
    for (const type of ["application/json;", "application/json ;charset=utf-8", "application/jsonx"]) {
      expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/keys`, { rawBody: '{"name":"k"}', headers: { "Content-Type": type } }), 415, "unsupported_media_type");
    }
    expect((await admin("POST", `/v1/tenants/${tenant.id}/keys`, { rawBody: '{"name":"k"}', headers: { "Content-Type": "application/json; charset=utf-8" } })).status).toBe(201);
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/keys`, { token: null, body: { name: "x" } }), 401, "unauthenticated");
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/keys`, { token: null, rawBody: "{", headers: { "Content-Type": "application/json" } }), 401, "unauthenticated");
    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}/keys`, { token: "wrong" }), 401, "unauthenticated");
  });

  it("answers 404 for an unknown tenant and 409 for new keys of a deleted one, whose keys stay listed", async () => {
    expectProblem(await admin("POST", "/v1/tenants/ten_00000000000000000000000000/keys", { body: { name: "x" } }), 404, "not_found");
    expectProblem(await admin("GET", "/v1/tenants/ten_00000000000000000000000000/keys"), 404, "not_found");
    const { tenant, apiKey } = await createTenant();
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: "late" } }), 409, "conflict");
    const list = await admin("GET", `/v1/tenants/${tenant.id}/keys`);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].revokedAt).toBeTruthy();
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${apiKey.id}`)).status).toBe(204);
  });
});
