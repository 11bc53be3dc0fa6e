import type { TenantContext } from "../core/tenant-context.ts";
import { DEFAULT_TIMEOUT_MS } from "./settings.ts";
import { GATEWAY_PREFIX } from "./paths.ts";

export interface GatewayTarget {
  /** `{origin}/{path…}?{query}`: where the request goes. */
  url: string;
  timeoutMs: number;
}

/** The deployment's GATEWAY_ORIGIN, without its trailing slash; null when unset or not a URL. */
function deploymentOrigin(env: Pick<Env, "GATEWAY_ORIGIN">): string | null {
  const value = env.GATEWAY_ORIGIN?.trim();
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
export function gatewayTarget(env: Pick<Env, "GATEWAY_ORIGIN">, tenant: TenantContext, requestUrl: string): GatewayTarget | null {
  const origin = tenant.gateway?.origin ?? deploymentOrigin(env);
  if (!origin) return null;
  const url = new URL(requestUrl);
  const rest = url.pathname.slice(GATEWAY_PREFIX.length) || "/";
  return { url: `${origin}${rest}${url.search}`, timeoutMs: tenant.gateway?.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}
