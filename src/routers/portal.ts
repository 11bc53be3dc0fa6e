import { GuardedRouter } from "../http/guarded-router.ts";
import { jsonBody } from "../http/json-body.ts";
import { portalApiRoutes } from "../portal/routes.ts";
import { PORTAL_SECURITY, portalSession } from "../portal/session.ts";

/**
 * The tenant portal: every route here runs behind the session cookie a portal link set
 * (src/portal/session.ts), scoped to that one tenant; writes also need the CSRF header.
 */
export function portalRouter(): GuardedRouter {
  return new GuardedRouter({
    name: "portal",
    prefixes: ["/v1/portal/*"],
    guard: [portalSession, jsonBody()],
    security: PORTAL_SECURITY,
  }).add(portalApiRoutes);
}
