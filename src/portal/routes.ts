import { createRoute, z } from "@hono/zod-openapi";
import { withConsoleHeaders } from "../console/security-headers.ts";
import { ApiError, problemDocument } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { ApiKeyListSchema, CreatedKeySchema, CreateKeyBody } from "../keys/api-schemas.ts";
import { createKey, listKeys, revokeKey } from "../keys/repository.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { invalidateCredential } from "../cache/invalidate.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { findTenantView } from "../tenants/repository.ts";
import { CreatePortalLinkBody, PortalKeyParam, PortalLinkSchema, PortalSessionSchema, PortalTokenParam } from "./api-schemas.ts";
import { createPortalLink, openPortalLink, PORTAL_OPEN_PATH } from "./links.ts";
import { endPortalSession, PORTAL_SECURITY, setPortalCookie } from "./session.ts";
import { PortalUsageQuery, usageReport } from "./usage.ts";

const actorOf = (sessionId: string) => `portal:${sessionId}`;

const createLinkRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/portal-links",
  operationId: "portal.createLink",
  tags: ["portal"],
  summary: "Create a single-use link to the tenant's own portal (overview, usage or keys)",
  description: "The URL opens once within `ttlSeconds`; opening it gives a cookie session of at most 1 h scoped to this tenant. 409 for a deleted tenant.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, body: { required: true, content: { "application/json": { schema: CreatePortalLinkBody } } } },
  responses: {
    201: { description: "The link", content: { "application/json": { schema: PortalLinkSchema } } },
    ...problems(400, 401, 404, 409, 413, 415, 503),
  },
});

const openLinkRoute = createRoute({
  method: "get",
  path: `${PORTAL_OPEN_PATH}/{token}`,
  operationId: "portal.open",
  tags: ["portal"],
  summary: "Open a portal link: sets the session cookie and redirects to the tenant's console page",
  description: "Works once. A used, expired or unknown link is 401 (an HTML page for browsers, a problem document otherwise).",
  security: [],
  request: { params: PortalTokenParam },
  responses: { 303: { description: "Session cookie set; Location is the portal page" }, ...problems(401, 503) },
});

const sessionRoute = createRoute({
  method: "get",
  path: "/v1/portal/session",
  operationId: "portal.getSession",
  tags: ["portal"],
  summary: "The portal session's tenant, limits and features",
  security: PORTAL_SECURITY,
  responses: { 200: { description: "The session", content: { "application/json": { schema: PortalSessionSchema } } }, ...problems(401) },
});

const signOutRoute = createRoute({
  method: "delete",
  path: "/v1/portal/session",
  operationId: "portal.signOut",
  tags: ["portal"],
  summary: "End the portal session",
  security: PORTAL_SECURITY,
  responses: { 204: { description: "Ended; the cookie is cleared" }, ...problems(401, 403) },
});

const usageRoute = createRoute({
  method: "get",
  path: "/v1/portal/usage",
  operationId: "portal.getUsage",
  tags: ["portal"],
  summary: "The session tenant's usage (as GET /v1/tenants/{id}/usage)",
  security: PORTAL_SECURITY,
  request: { query: PortalUsageQuery },
  responses: { 200: { description: "Usage series and totals", content: { "application/json": { schema: z.any() } } }, ...problems(400, 401) },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/v1/portal/keys",
  operationId: "portal.listKeys",
  tags: ["portal"],
  summary: "The session tenant's API keys (never their secrets)",
  security: PORTAL_SECURITY,
  responses: { 200: { description: "Keys", content: { "application/json": { schema: ApiKeyListSchema } } }, ...problems(401) },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/v1/portal/keys",
  operationId: "portal.createKey",
  tags: ["portal"],
  summary: "Create an API key for the session's tenant (the secret is shown once)",
  description: "Needs the `X-Requested-With` header (CSRF).",
  security: PORTAL_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: { 201: { description: "The key, with its secret", content: { "application/json": { schema: CreatedKeySchema } } }, ...problems(400, 401, 403, 409, 415) },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/v1/portal/keys/{keyId}",
  operationId: "portal.revokeKey",
  tags: ["portal"],
  summary: "Revoke one of the session tenant's API keys",
  description: "Needs the `X-Requested-With` header (CSRF). Another tenant's key is 404.",
  security: PORTAL_SECURITY,
  request: { params: PortalKeyParam },
  responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
});

/** Admin side: POST /v1/tenants/{id}/portal-links (on the admin router). */
export const portalLinkRoutes = createRouter().openapi(createLinkRoute, async (c) => {
  const { intent, ttlSeconds } = c.req.valid("json");
  const link = await createPortalLink(c.get("services").db, {
    tenantId: c.req.valid("param").id,
    intent,
    ttlSeconds,
    origin: new URL(c.req.url).origin,
  });
  return c.json(link, 201);
});

/** GET /portal/open/{token}: public (mounted by src/app.ts); the single-use token is the credential. */
export const portalOpenRoutes = createRouter().openapi(openLinkRoute, async (c) => {
  try {
    const session = await openPortalLink(c.get("services").db, c.req.valid("param").token);
    setPortalCookie(c, session.token, session.expiresAt);
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect(`/console/portal/${session.intent}`, 303);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== "unauthenticated" || !c.req.header("Accept")?.includes("text/html")) throw error;
    return refusedPage(error, c.get("requestId")) as never;
  }
});

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** A used or expired link opened in a browser: a plain page saying so, under the console's CSP. */
function refusedPage(error: ApiError, requestId: string): Response {
  const doc = problemDocument(error, requestId);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Portal link refused · Tenantry</title></head><body><main><h1>This link no longer works</h1><p id="detail">${escapeHtml(doc.detail)}</p><p>Request id: ${escapeHtml(requestId)}</p></main></body></html>`;
  return withConsoleHeaders(
    new Response(html, { status: error.status, headers: { "Content-Type": "text/html; charset=utf-8", "X-Request-Id": requestId } }),
    "no-store",
  );
}

/** /v1/portal/* (the portal router, behind `portalSession`): the session cookie's tenant, and only it. */
export const portalApiRoutes = createRouter()
  .openapi(sessionRoute, async (c) => {
    const session = c.get("portalSession");
    const tenant = await findTenantView(c.get("services").db, session.tenantId);
    if (!tenant) throw new ApiError("unauthenticated", "The portal session's tenant is gone.");
    return c.json(
      {
        tenant: { id: tenant.id, name: tenant.name, plan: tenant.plan, status: tenant.status, isolation: tenant.isolation, createdAt: tenant.createdAt },
        limits: tenant.limits,
        features: tenant.features,
        intent: session.intent,
        expiresAt: session.expiresAt.toISOString(),
      },
      200,
    );
  })
  .openapi(signOutRoute, async (c) => {
    await endPortalSession(c, c.get("portalSession"));
    return c.body(null, 204);
  })
  .openapi(usageRoute, async (c) => {
    return c.json(await usageReport(c.get("services").db, c.get("portalSession").tenantId, c.req.valid("query")), 200);
  })
  .openapi(listKeysRoute, async (c) => {
    return c.json({ data: await listKeys(c.get("services").db, c.get("portalSession").tenantId) }, 200);
  })
  .openapi(createKeyRoute, async (c) => {
    const session = c.get("portalSession");
    return c.json(await createKey(c.get("services").db, session.tenantId, c.req.valid("json"), actorOf(session.id)), 201);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const session = c.get("portalSession");
    const services = c.get("services");
    const { keyId } = c.req.valid("param");
    const { hash } = await revokeKey(services.db, session.tenantId, keyId, actorOf(session.id));
    await invalidateCredential(services.redis, hash).catch((error: unknown) =>
      logEvent("warn", "revoked key's cached credential not invalidated", { tenantId: session.tenantId, keyId, error: errorMessage(error) }),
    );
    return c.body(null, 204);
  });

