import type { TenantContext } from "../core/tenant-context.ts";
import { DEFAULT_TIMEOUT_MS } from "./settings.ts";
import { GATEWAY_PREFIX } from "./paths.ts";

export interface GatewayTarget {
  /** `{origin}/{path…}?{query}`: where the request goes. */
  url: string;
  timeoutMs: number;
}

/** GATEWAY_ORIGIN as configured → normalized (or null), parsed once per value and isolate. */
const deploymentOrigins = new Map<string, string | null>();

/** The deployment's GATEWAY_ORIGIN, without its trailing slash; null when unset or not a URL. */
function deploymentOrigin(env: Pick<Env, "GATEWAY_ORIGIN">): string | null {
  const configured = env.GATEWAY_ORIGIN;
  if (!configured) return null;
  let origin = deploymentOrigins.get(configured);
  if (origin === undefined) {
    origin = parseOrigin(configured.trim());
    if (deploymentOrigins.size >= 8) deploymentOrigins.clear();
    deploymentOrigins.set(configured, origin);
  }
  return origin;
}

function parseOrigin(value: string): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return null;
  }
}

/**
 * The origin URL of a `/gw/{path…}` request: the tenant's own origin, else the deployment's; null
 * with neither. The path and query go on exactly as the client sent them (still percent-encoded).
 */
export function gatewayTarget(env: Pick<Env, "GATEWAY_ORIGIN">, tenant: TenantContext, requestUrl: URL): GatewayTarget | null {
  const origin = tenant.gateway?.origin ?? deploymentOrigin(env);
  if (!origin) return null;
  const rest = requestUrl.pathname.slice(GATEWAY_PREFIX.length) || "/";
  return { url: `${origin}${rest}${requestUrl.search}`, timeoutMs: tenant.gateway?.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}
