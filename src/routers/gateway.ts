import { GATEWAY_PREFIXES } from "../edge/data-plane-paths.ts";
import { dataPlane } from "../edge/pipeline.ts";
import { gatewayRoutes } from "../gateway/routes.ts";
import { GuardedRouter } from "../http/guarded-router.ts";
import { TENANT_SECURITY } from "../http/router.ts";

/**
 * The gateway: `/gw/*` runs behind the same tenant pipeline as the data plane (credential, limits,
 * status gate, scope, lease), then streams the request to the tenant's origin. No jsonBody: the
 * gateway passes bodies through untouched, whatever they are.
 */
export function gatewayRouter(): GuardedRouter {
  return new GuardedRouter({
    name: "gateway",
    prefixes: GATEWAY_PREFIXES,
    guard: [dataPlane],
    security: TENANT_SECURITY,
  }).add(gatewayRoutes);
}
