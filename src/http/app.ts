import { adminAuth } from "../auth/admin-auth.ts";
import { dataPlane } from "../edge/pipeline.ts";
import { healthRoutes } from "../health/routes.ts";
import { meRoutes } from "../me/routes.ts";
import { planRoutes } from "../plans/routes.ts";
import { tenantRoutes } from "../tenants/routes.ts";
import { handleError } from "./errors.ts";
import { jsonBody } from "./json-body.ts";
import { ApiError, toProblemResponse } from "./problem.ts";
import { requestId } from "./request-id.ts";
import { createRouter } from "./router.ts";
import { services } from "./services.ts";

const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "Tenantry API",
    version: "1.0.0",
    description: "Multi-tenant platform at the edge: control plane (admin token) and data plane (tenant credential).",
  },
};

const isNdjsonImport = (path: string) => /^\/v1\/tenants\/[^/]+\/import$/.test(path);

export function createApp() {
  const app = createRouter();

  app.use("*", requestId);
  app.use("*", services);
  app.use("/v1/*", jsonBody(isNdjsonImport));

  // Control plane: admin token on every route but health.
  app.use("/v1/tenants", adminAuth);
  app.use("/v1/tenants/*", adminAuth);
  app.use("/v1/plans", adminAuth);

  // Data plane: tenant credential, limits and the runtime object's admission on every route.
  for (const path of ["/v1/me", "/v1/maps", "/v1/maps/*", "/v1/secrets", "/v1/secrets/*", "/v1/realtime", "/v1/realtime/*"]) {
    app.use(path, dataPlane);
  }

  app.route("/", healthRoutes);
  app.route("/", meRoutes);
  app.route("/", planRoutes);
  app.route("/", tenantRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.openAPIRegistry.registerComponent("securitySchemes", "tenantCredential", {
    type: "http",
    scheme: "bearer",
    description: "API key (tk_…) or tenant token (JWT)",
  });
  app.doc31("/openapi.json", OPENAPI_INFO);

  app.notFound((c) => toProblemResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
