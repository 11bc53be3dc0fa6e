import { adminAuth } from "../auth/admin-auth.ts";
import { dataPlane } from "../edge/pipeline.ts";
import { PROBE_PATH, probeRoutes, probesEnabled } from "../edge/test-probes.ts";
import { healthRoutes } from "../health/routes.ts";
import { meRoutes } from "../me/routes.ts";
import { isolationRoutes } from "../isolation/routes.ts";
import { meteringRoutes } from "../metering/routes.ts";
import { realtimeRoutes } from "../realtime/routes.ts";
import { planRoutes } from "../plans/routes.ts";
import { mapRoutes } from "../storage/maps/routes.ts";
import { secretAdminRoutes } from "../secrets/admin-routes.ts";
import { secretRoutes } from "../secrets/routes.ts";
import { testHookRoutes } from "../provisioning/test-hook-routes.ts";
import { consoleRoutes } from "../console/routes.ts";
import { portalSession } from "../portal/session.ts";
import { portalApiRoutes, portalLinkRoutes, portalOpenRoutes } from "../portal/routes.ts";
import { controlPlaneRoutes } from "../tenants/control-plane.ts";
import { tenantRoutes } from "../tenants/routes.ts";
import { drainBody } from "./drain-body.ts";
import { handleError } from "./errors.ts";
import { jsonBody } from "./json-body.ts";
import { documentSpecRoute, OPENAPI_PATH, openApiDocument } from "./openapi-document.ts";
import { ApiError, toProblemResponse } from "./problem.ts";
import { requestId } from "./request-id.ts";
import { createRouter } from "./router.ts";
import { services } from "./services.ts";

const isNdjsonImport = (path: string) => /^\/v1\/tenants\/[^/]+\/import$/.test(path);

export function createApp() {
  const app = createRouter();

  app.use("*", requestId);
  app.use("*", drainBody);
  app.use("*", services);

  // Control plane: admin token on every route but health.
  app.use("/v1/tenants/*", adminAuth);
  app.use("/v1/plans", adminAuth);
  app.use("/v1/admin/*", adminAuth);
  // Tenant portal: the session cookie a portal link set, scoped to its one tenant.
  app.use("/v1/portal/*", portalSession);

  // Data plane: tenant credential, limits and the runtime object's admission on every route.
  // (In Hono, "/x/*" also matches "/x" itself: one pattern per prefix, or the pipeline runs twice.)
  for (const path of ["/v1/me", "/v1/maps/*", "/v1/secrets/*", "/v1/realtime/*"]) {
    app.use(path, dataPlane);
  }
  app.use(PROBE_PATH, probesEnabled, dataPlane);

  // Bodies are checked once the caller is known: a bad credential is 401 whatever its body, and a
  // tenant's bad body still passes its limits and carries its RateLimit headers.
  app.use("/v1/*", jsonBody(isNdjsonImport));

  app.route("/", healthRoutes);
  app.route("/", meRoutes);
  app.route("/", mapRoutes);
  app.route("/", meteringRoutes);
  app.route("/", isolationRoutes);
  app.route("/", realtimeRoutes);
  app.route("/", probeRoutes);
  app.route("/", planRoutes);
  app.route("/", tenantRoutes);
  app.route("/", secretRoutes);
  app.route("/", secretAdminRoutes);
  app.route("/", controlPlaneRoutes);
  app.route("/", testHookRoutes);
  app.route("/", portalLinkRoutes);
  app.route("/", portalOpenRoutes);
  app.route("/", portalApiRoutes);
  app.route("/", consoleRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.openAPIRegistry.registerComponent("securitySchemes", "tenantCredential", {
    type: "http",
    scheme: "bearer",
    description: "API key (tk_…) or tenant token (JWT)",
  });
  documentSpecRoute(app);
  app.doc31(OPENAPI_PATH, openApiDocument);

  app.notFound((c) => toProblemResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
