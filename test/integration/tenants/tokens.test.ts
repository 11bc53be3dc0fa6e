import { decode, sign, verify } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { admin, call, createTenant, expectProblem } from "../../support/api.ts";
import { auditEvents, createActive, TEST_JWT_SECRET } from "../../support/control-plane.ts";

const issue = (id: string, body: unknown) => admin("POST", `/v1/tenants/${id}/tokens`, { body });

describe("POST /v1/tenants/{id}/tokens", () => {
  it("issues an HS256 JWT signed with JWT_SECRET carrying exactly tid, sub, scope, iat, exp, jti", async () => {
    const { tenant } = await createTenant();
    const before = Math.floor(Date.now() / 1000);
    const response = await issue(tenant.id, { sub: "user-42" });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(["expiresAt", "token"]);

    const { header, payload } = decode(response.body.token);
    expect(header).toMatchObject({ alg: "HS256", typ: "JWT" });
    const claims = await verify(response.body.token, TEST_JWT_SECRET, "HS256");
    expect(Object.keys(claims).sort()).toEqual(["exp", "iat", "jti", "scope", "sub", "tid"]);
    expect(claims).toMatchObject({ tid: tenant.id, sub: "user-42", scope: "read write" });
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(response.body.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
    expect(typeof claims.jti).toBe("string");
    expect((claims.jti as string).length).toBeGreaterThanOrEqual(16);
    expect(payload).toEqual(claims);

    await expect(verify(response.body.token, "another-secret-another-secret-xx", "HS256")).rejects.toThrow();
  });

  it("honours scopes and ttlSeconds, and gives each token its own jti", async () => {
    const { tenant } = await createTenant();
    const a = await issue(tenant.id, { sub: "svc", scopes: ["read"], ttlSeconds: 60 });
    const b = await issue(tenant.id, { sub: "svc", scopes: ["write", "read"], ttlSeconds: 86_400 });
    const claimsA = await verify(a.body.token, TEST_JWT_SECRET, "HS256");
    const claimsB = await verify(b.body.token, TEST_JWT_SECRET, "HS256");
    expect(claimsA.scope).toBe("read");
    expect((claimsA.exp as number) - (claimsA.iat as number)).toBe(60);
    expect(claimsB.scope).toBe("read write");
    expect((claimsB.exp as number) - (claimsB.iat as number)).toBe(86_400);
    expect(claimsA.jti).not.toBe(claimsB.jti);
  });

  it("issues tokens the data plane accepts for the tenant", async () => {
    const { tenant } = await createActive();
    const response = await issue(tenant.id, { sub: "user-1" });
    const me = await call("GET", "/v1/me", { token: response.body.token });
    expect(me.status).toBe(200);
    expect(me.body.tenant.id).toBe(tenant.id);
    // A token for this tenant signed with another secret is refused.
    const forged = await sign({ tid: tenant.id, sub: "x", scope: "read", iat: 0, exp: 4_000_000_000, jti: "j" }, "not-the-secret-not-the-secret-xx", "HS256");
    expectProblem(await call("GET", "/v1/me", { token: forged }), 401, "unauthenticated");
  });

  it("audits token.issued with sub, scopes and jti, never the token", async () => {
    const { tenant } = await createTenant();
    const response = await issue(tenant.id, { sub: "auditor", scopes: ["read"] });
    const claims = await verify(response.body.token, TEST_JWT_SECRET, "HS256");
    const [event] = await auditEvents(tenant.id, "token.issued");
    expect(event).toMatchObject({ actor: "admin", details: { sub: "auditor", scopes: ["read"], jti: claims.jti } });
    expect(JSON.stringify(event)).not.toContain(response.body.token);
    expect(JSON.stringify(event)).not.toContain(response.body.token.split(".")[2]);
  });

  it("rejects bad input with 400 problem documents", async () => {
    const { tenant } = await createTenant();
    for (const body of [
      {},
      { sub: "" },
      { sub: "x", ttlSeconds: 0 },
      { sub: "x", ttlSeconds: 86_401 },
      { sub: "x", ttlSeconds: 1.5 },
      { sub: "x", ttlSeconds: "60" },
      { sub: "x", scopes: [] },
      { sub: "x", scopes: ["admin"] },
      { sub: "x", tid: "ten_other" },
      { sub: "a\u0000b" },
      { sub: "x".repeat(256) },
    ]) {
      expectProblem(await issue(tenant.id, body), 400, "invalid_request");
    }
    const problem = expectProblem(await issue(tenant.id, { sub: "x", ttlSeconds: 90_000 }), 400, "invalid_request");
    expect((problem.errors as any[])[0].path).toBe("body.ttlSeconds");
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/tokens`, { token: null, body: { sub: "x" } }), 401, "unauthenticated");
  });

  it("answers 404 for an unknown tenant and 409 for a deleted one", async () => {
    expectProblem(await issue("ten_00000000000000000000000000", { sub: "x" }), 404, "not_found");
    const { tenant } = await createTenant();
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expectProblem(await issue(tenant.id, { sub: "x" }), 409, "conflict");
  });
});
