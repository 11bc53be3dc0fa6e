import { and, eq, gt, sql } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import { tenants } from "../core/tenant-table.ts";
import type { PortalIntent } from "./links.ts";
import { portalSessions } from "./schema.ts";
import { hashPortalToken, looksLikePortalToken } from "./tokens.ts";

export const PORTAL_COOKIE = "tenantry_portal";
/** The OpenAPI `security` of /v1/portal/* routes. */
export const PORTAL_SECURITY = [{ portalSession: [] }];
export const PORTAL_SECURITY_SCHEME = {
  type: "apiKey" as const,
  in: "cookie" as const,
  name: PORTAL_COOKIE,
  description: "Session cookie set by opening a portal link (HttpOnly, Secure, SameSite=Strict, at most 1 h)",
};
/** Every write must carry this header: a cross-site form cannot set it, and a cross-origin script needs a CORS preflight we never grant. */
export const PORTAL_CSRF_HEADER = "X-Requested-With";

export interface PortalSession {
  id: string;
  tenantId: string;
  intent: PortalIntent;
  expiresAt: Date;
}

declare module "hono" {
  interface ContextVariableMap {
    portalSession: PortalSession;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function setPortalCookie(c: Context, token: string, expiresAt: Date): void {
  setCookie(c, PORTAL_COOKIE, token, {
    path: "/",
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    expires: expiresAt,
    maxAge: Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000)),
  });
}

export function clearPortalCookie(c: Context): void {
  deleteCookie(c, PORTAL_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
}

/**
 * Authenticates /v1/portal/* with the session cookie a portal link set. The session names one
 * tenant; no portal route takes a tenant id, so nothing else is reachable from it.
 */
export const portalSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = getCookie(c, PORTAL_COOKIE);
  if (!token || !looksLikePortalToken("ps", token)) {
    throw new ApiError("unauthenticated", "No portal session: open a portal link from your operator.");
  }
  if (!SAFE_METHODS.has(c.req.method) && !c.req.header(PORTAL_CSRF_HEADER)) {
    throw new ApiError("forbidden", `Portal writes must send the ${PORTAL_CSRF_HEADER} header.`);
  }
  const { db } = c.get("services");
  const [row] = await db
    .select({ id: portalSessions.id, tenantId: portalSessions.tenantId, intent: portalSessions.intent, expiresAt: portalSessions.expiresAt, status: tenants.status })
    .from(portalSessions)
    .innerJoin(tenants, eq(tenants.id, portalSessions.tenantId))
    .where(and(eq(portalSessions.tokenHash, await hashPortalToken(token)), gt(portalSessions.expiresAt, sql`now()`)));
  if (!row || row.status === "deleted") {
    throw new ApiError("unauthenticated", "The portal session has expired or ended: open a new portal link.");
  }
  c.set("portalSession", { id: row.id, tenantId: row.tenantId, intent: row.intent as PortalIntent, expiresAt: row.expiresAt });
  await next();
};

/** Ends a session (sign-out): the cookie alone would survive in another tab until it expires. */
export async function endPortalSession(c: Context<AppEnv>, session: PortalSession): Promise<void> {
  await c.get("services").db.delete(portalSessions).where(eq(portalSessions.id, session.id));
  clearPortalCookie(c);
}
