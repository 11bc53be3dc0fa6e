// Portal links: single use, hashed, expiring, audited; the cookie session they open reaches its
// own tenant and nothing else (attack tests), and writes need the CSRF header.
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { admin, call, eventually, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

const pool = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
afterAll(() => pool.end());

const CSRF = { "X-Requested-With": "test" };

async function link(tenantId: string, body: Record<string, unknown> = { intent: "keys" }) {
  const response = await admin("POST", `/v1/tenants/${tenantId}/portal-links`, { body });
  expect(response.status, response.text).toBe(201);
  return response.body as { url: string; expiresAt: string };
}

/** Opens a link as a browser would (no redirect following); returns the response and the session cookie. */
async function open(url: string, accept = "application/json") {
  const path = new URL(url).pathname;
  const response = await call("GET", path, { headers: { Accept: accept } });
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = /tenantry_portal=([^;]+)/.exec(setCookie)?.[1];
  return { response, setCookie, cookie: cookie ? `tenantry_portal=${cookie}` : undefined };
}

async function session(tenant: ActiveTenant, intent = "keys") {
  const opened = await open((await link(tenant.id, { intent })).url);
  expect(opened.response.status, opened.response.text).toBe(303);
  return opened.cookie!;
}

const portal = (cookie: string, method: string, path: string, options: Parameters<typeof call>[2] = {}) =>
  call(method, path, { ...options, headers: { Cookie: cookie, ...options.headers } });

describe("POST /v1/tenants/{id}/portal-links, GET /portal/open/{token}, /v1/portal/*", () => {
  it("creates a link whose URL opens once, with a Secure HttpOnly SameSite=Strict cookie of at most 1 h", async () => {
    const tenant = await activeTenant({ name: "Portal A" });
    const created = await link(tenant.id, { intent: "usage", ttlSeconds: 120 });
    expect(created.url).toMatch(/\/portal\/open\/pl_[1-9A-HJ-NP-Za-km-z]+$/);
    const ttl = Date.parse(created.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);

    const first = await open(created.url);
    expect(first.response.status).toBe(303);
    expect(first.response.headers.get("location")).toBe("/console/portal/usage");
    expect(first.setCookie).toMatch(/HttpOnly/i);
    expect(first.setCookie).toMatch(/Secure/i);
    expect(first.setCookie).toMatch(/SameSite=Strict/i);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(first.setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(3000);
    expect(maxAge).toBeLessThanOrEqual(3600);

    const me = await portal(first.cookie!, "GET", "/v1/portal/session");
    expect(me.status).toBe(200);
    expect(me.body.tenant).toMatchObject({ id: tenant.id, name: "Portal A" });
    expect(me.body.intent).toBe("usage");

    // A second opening is refused: a problem document for an API client, a page for a browser.
    const again = await open(created.url);
    expectProblem(again.response, 401, "unauthenticated");
    expect(again.cookie).toBeUndefined();
    const page = await open(created.url, "text/html");
    expect(page.response.status).toBe(401);
    expect(page.response.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.response.text).toContain("already been used or has expired");
    expect(page.response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses an expired link and an unknown one", async () => {
    const tenant = await activeTenant();
    const created = await link(tenant.id);
    const token = created.url.split("/").pop()!;
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256").update(token).digest("hex");
    // The token is stored only as its hash.
    const stored = await pool.query("select token_hash from portal_links where tenant_id = $1", [tenant.id]);
    expect(stored.rows.map((row) => row.token_hash)).toEqual([hash]);
    await pool.query("update portal_links set expires_at = now() - interval '1 second' where token_hash = $1", [hash]);
    expectProblem((await open(created.url)).response, 401, "unauthenticated");
    expectProblem((await open(`${created.url.slice(0, -3)}zzz`)).response, 401, "unauthenticated");
    expectProblem(await call("GET", "/portal/open/not-a-token"), 401, "unauthenticated");
  });

  it("validates the request and needs the admin token", async () => {
    const tenant = await activeTenant();
    for (const body of [{ intent: "billing" }, { intent: "keys", ttlSeconds: 30 }, { intent: "keys", ttlSeconds: 901 }, {}]) {
      const response = await admin("POST", `/v1/tenants/${tenant.id}/portal-links`, { body });
      expectProblem(response, 400, "invalid_request");
      expect(response.body.errors.length).toBeGreaterThan(0);
    }
    expectProblem(await call("POST", `/v1/tenants/${tenant.id}/portal-links`, { body: { intent: "keys" } }), 401, "unauthenticated");
    expectProblem(await admin("POST", "/v1/tenants/ten_nope/portal-links", { body: { intent: "keys" } }), 404, "not_found");
    const defaults = await link(tenant.id, { intent: "overview" });
    expect(Date.parse(defaults.expiresAt) - Date.now()).toBeGreaterThan(290_000);
  });

  it("audits link creation and opening", async () => {
    const tenant = await activeTenant();
    await session(tenant, "overview");
    const audit = await admin("GET", `/v1/tenants/${tenant.id}/audit`);
    const actions = audit.body.data.map((event: any) => event.action);
    expect(actions).toContain("portal.link_created");
    expect(actions).toContain("portal.opened");
    const opened = audit.body.data.find((event: any) => event.action === "portal.opened");
    expect(opened.actor).toMatch(/^portal:pss_/);
  });

  it("lets the session manage its own tenant's keys and usage, with the CSRF header on writes", async () => {
    const tenant = await activeTenant();
    const cookie = await session(tenant);
    const keys = await portal(cookie, "GET", "/v1/portal/keys");
    expect(keys.status).toBe(200);
    expect(keys.body.data).toHaveLength(1);

    expectProblem(await portal(cookie, "POST", "/v1/portal/keys", { body: { name: "no csrf" } }), 403, "forbidden");
    const created = await portal(cookie, "POST", "/v1/portal/keys", { body: { name: "from portal", scopes: ["read"] }, headers: CSRF });
    expect(created.status, created.text).toBe(201);
    expect((await call("GET", "/v1/me", { token: created.body.key })).status).toBe(200);

    expectProblem(await portal(cookie, "DELETE", `/v1/portal/keys/${created.body.id}`), 403, "forbidden");
    expect((await portal(cookie, "DELETE", `/v1/portal/keys/${created.body.id}`, { headers: CSRF })).status).toBe(204);
    await eventually(async () => (await call("GET", "/v1/me", { token: created.body.key })).status === 401, 5_000);

    const usage = await portal(cookie, "GET", "/v1/portal/usage", { rawBody: undefined, headers: {} });
    expect(usage.status).toBe(200);
    expect(usage.body.tenantId).toBe(tenant.id);
    const audit = await admin("GET", `/v1/tenants/${tenant.id}/audit`, { headers: {} });
    expect(audit.body.data.find((event: any) => event.action === "key.created" && event.details.name === "from portal").actor).toMatch(/^portal:/);

    expect((await portal(cookie, "DELETE", "/v1/portal/session", { headers: CSRF })).status).toBe(204);
    expectProblem(await portal(cookie, "GET", "/v1/portal/keys"), 401, "unauthenticated");
  });
});

describe("/v1/portal/* isolation: attacks from tenant A's session", () => {
  it("cannot read or act on tenant B in any way", async () => {
    const a = await activeTenant({ name: "Tenant A" });
    const b = await activeTenant({ name: "Tenant B" });
    const cookie = await session(a);
    const bKeys = await admin("GET", `/v1/tenants/${b.id}/keys`);
    const bKeyId = bKeys.body.data[0].id as string;

    // B's key cannot be revoked through A's session (404, and it still works).
    expectProblem(await portal(cookie, "DELETE", `/v1/portal/keys/${bKeyId}`, { headers: CSRF }), 404, "not_found");
    expect((await b.call("GET", "/v1/me")).status).toBe(200);

    // The session is no admin credential and no tenant credential.
    for (const [method, path] of [
      ["GET", `/v1/tenants/${b.id}`],
      ["GET", `/v1/tenants/${b.id}/keys`],
      ["GET", `/v1/tenants/${a.id}`],
      ["GET", "/v1/tenants"],
      ["GET", "/v1/plans"],
      ["GET", "/v1/me"],
      ["GET", "/v1/maps"],
    ] as const) {
      expectProblem(await portal(cookie, method, path), 401, "unauthenticated");
    }
    // A tenant id smuggled in the query, a header or the body changes nothing.
    const listed = await portal(cookie, "GET", `/v1/portal/keys?tenantId=${b.id}`, { headers: { "X-Tenant-Id": b.id } });
    expect(listed.body.data.map((key: any) => key.id)).not.toContain(bKeyId);
    const usage = await portal(cookie, "GET", `/v1/portal/usage?tenantId=${b.id}`);
    expect(usage.body.tenantId).toBe(a.id);
    const created = await portal(cookie, "POST", "/v1/portal/keys", { body: { name: "x", tenantId: b.id }, headers: CSRF });
    expectProblem(created, 400, "invalid_request");
    expect((await admin("GET", `/v1/tenants/${b.id}/keys`)).body.data).toHaveLength(1);

    // A forged or tampered cookie is nobody.
    expectProblem(await portal("tenantry_portal=ps_forged1234567890123456789012345678901234", "GET", "/v1/portal/session"), 401, "unauthenticated");
    expectProblem(await portal(`${cookie.slice(0, -2)}zz`, "GET", "/v1/portal/session"), 401, "unauthenticated");
  });

  it("ends with the tenant: a deleted tenant's session is refused", async () => {
    const tenant = await activeTenant();
    const cookie = await session(tenant);
    expect((await portal(cookie, "GET", "/v1/portal/session")).status).toBe(200);
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expectProblem(await portal(cookie, "GET", "/v1/portal/session"), 401, "unauthenticated");
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/portal-links`, { body: { intent: "keys" } }), 409, "conflict");
  });
});

describe("portal routes in GET /openapi.json", () => {
  it("documents the portal operations and the cookie security scheme", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    const operations = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId));
    for (const id of ["portal.createLink", "portal.open", "portal.getSession", "portal.getUsage", "portal.listKeys", "portal.createKey", "portal.revokeKey", "portal.signOut"]) {
      expect(operations).toContain(id);
    }
    expect(doc.components.securitySchemes.portalSession).toMatchObject({ type: "apiKey", in: "cookie", name: "tenantry_portal" });
  });
});
