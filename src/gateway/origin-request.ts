import type { Credential, TenantContext } from "../core/tenant-context.ts";
import { forwardableRequestHeaders, forwardedHeader } from "./headers.ts";
import { signRequest } from "./signature.ts";

const SCOPE_ORDER = ["read", "write"] as const;

export interface Caller {
  tenant: TenantContext;
  credential: Credential;
  requestId: string;
}

/** `key_…` for an API key, `jwt:<sub>` for a tenant token. */
export function credentialLabel(credential: Credential): string {
  switch (credential.kind) {
    case "api_key":
      return credential.keyId;
    case "token":
      return `jwt:${credential.sub}`;
    case "ticket":
      return credential.actor;
  }
}

export interface SigningConfig {
  secret: string;
  keyId: string;
}

export function signingConfig(env: Pick<Env, "GATEWAY_SIGNING_SECRET" | "GATEWAY_SIGNING_KEY_ID">): SigningConfig | null {
  if (!env.GATEWAY_SIGNING_SECRET) return null;
  return { secret: env.GATEWAY_SIGNING_SECRET, keyId: env.GATEWAY_SIGNING_KEY_ID?.trim() || "default" };
}

/**
 * The headers the origin receives: the client's, less Authorization, `Tenantry-*`, hop-by-hop
 * headers and any `Forwarded` it claimed; plus who the caller is (set only by the gateway) and an
 * RFC 9421 signature over method, target URI and those headers.
 */
export async function originHeaders(incoming: Request, targetUrl: string, caller: Caller, signing: SigningConfig, websocket: boolean): Promise<Headers> {
  const headers = forwardableRequestHeaders(incoming.headers, websocket);
  const url = new URL(incoming.url);
  headers.set("Tenantry-Tenant-Id", caller.tenant.id);
  headers.set("Tenantry-Plan", caller.tenant.plan);
  headers.set("Tenantry-Isolation", caller.tenant.isolation);
  headers.set("Tenantry-Credential", credentialLabel(caller.credential));
  headers.set("Tenantry-Scopes", SCOPE_ORDER.filter((scope) => caller.credential.scopes.includes(scope)).join(","));
  headers.set("Tenantry-Request-Id", caller.requestId);
  headers.set("Forwarded", forwardedHeader(incoming.headers.get("CF-Connecting-IP"), url.protocol.replace(":", ""), incoming.headers.get("Host") ?? url.host));
  await signRequest(
    { method: incoming.method, targetUri: targetUrl, headers, created: Math.floor(Date.now() / 1000), keyId: signing.keyId },
    signing.secret,
  );
  return headers;
}
