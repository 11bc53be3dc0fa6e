// The composition root: the one place every router is mounted. Read this first.
import { consoleRoutes } from "./console/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { drainBody } from "./http/drain-body.ts";
import { handleError } from "./http/errors.ts";
import { documentConsoleRoute, documentSpecRoute, OPENAPI_PATH, openApiDocument } from "./http/openapi-document.ts";
import { ApiError, toProblemResponse } from "./http/problem.ts";
import { requestId } from "./http/request-id.ts";
import { createRouter } from "./http/router.ts";
import { services } from "./http/services.ts";
import { timing } from "./http/timing.ts";
import { portalOpenRoutes } from "./portal/routes.ts";
import { PORTAL_SECURITY_SCHEME } from "./portal/session.ts";
import { adminRouter } from "./routers/admin.ts";
import { gatewayRouter } from "./routers/gateway.ts";
import { portalRouter } from "./routers/portal.ts";
import { tenantRouter } from "./routers/tenant.ts";

export interface AppOptions {
  /** Mount the integration suite's hooks (src/test-hooks/); only with TEST_HOOKS=1. */
  testHooks: boolean;
}

/**
 * Public routes (health, /openapi.json, a portal link's opening, the console's static files), then
 * one router per guard: the admin router (admin token), the tenant router (credential, limits,
 * runtime admission), the gateway router (the same pipeline, then the tenant's origin) and the
 * portal router (a portal session's cookie). A route joins a router, never the app.
 */
export function createApp(options: AppOptions = { testHooks: false }) {
  const app = createRouter();

  app.use("*", requestId);
  app.use("*", drainBody);
  app.use("*", timing);
  app.use("*", services);

  app.route("/", healthRoutes);
  app.route("/", portalOpenRoutes);
  app.route("/", consoleRoutes);
  for (const router of [adminRouter(options), tenantRouter(), gatewayRouter(), portalRouter()]) router.mountOn(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.openAPIRegistry.registerComponent("securitySchemes", "tenantCredential", {
    type: "http",
    scheme: "bearer",
    description: "API key (tk_…) or tenant token (JWT)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "portalSession", PORTAL_SECURITY_SCHEME);
  documentSpecRoute(app);
  documentConsoleRoute(app);
  app.doc31(OPENAPI_PATH, openApiDocument);

  app.notFound((c) => toProblemResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
