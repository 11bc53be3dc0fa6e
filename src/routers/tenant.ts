import { TENANT_PREFIXES } from "../edge/data-plane-paths.ts";
import { dataPlane } from "../edge/pipeline.ts";
import { GuardedRouter } from "../http/guarded-router.ts";
import { jsonBody } from "../http/json-body.ts";
import { TENANT_SECURITY } from "../http/router.ts";
import { meRoutes } from "../me/routes.ts";
import { metricsTenantRoutes } from "../metrics/routes.ts";
import { realtimeRoutes } from "../realtime/routes.ts";
import { secretRoutes } from "../secrets/routes.ts";
import { mapRoutes } from "../storage/maps/routes.ts";

/**
 * The data plane: every route here runs behind the tenant pipeline (credential, limits, runtime
 * admission; see src/edge/pipeline.ts). Bodies are checked after it, so a tenant's bad body still
 * passes its limits and carries its RateLimit headers.
 */
export function tenantRouter(): GuardedRouter {
  return new GuardedRouter({
    name: "tenant",
    prefixes: TENANT_PREFIXES,
    guard: [dataPlane, jsonBody()],
    security: TENANT_SECURITY,
  })
    .add(meRoutes)
    .add(mapRoutes)
    .add(realtimeRoutes)
    .add(secretRoutes)
    .add(metricsTenantRoutes);
}
