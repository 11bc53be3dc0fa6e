import { GATEWAY_PREFIX } from "../gateway/paths.ts";
import { underPrefix } from "../http/guarded-router.ts";

/** The tenant router's URL patterns (src/routers/tenant.ts). */
export const TENANT_PREFIXES = ["/v1/me", "/v1/metrics", "/v1/maps/*", "/v1/secrets/*", "/v1/realtime/*"] as const;
/** The gateway router's (src/routers/gateway.ts). */
export const GATEWAY_PREFIXES = [`${GATEWAY_PREFIX}/*`] as const;

const DATA_PLANE_PREFIXES: readonly string[] = [...TENANT_PREFIXES, ...GATEWAY_PREFIXES];

/** Whether a request path runs behind the data-plane pipeline (src/edge/pipeline.ts). */
export function isDataPlanePath(path: string): boolean {
  return DATA_PLANE_PREFIXES.some((prefix) => underPrefix(path, prefix));
}
