import type { Credential, TenantContext } from "../core/tenant-context.ts";
import { forwardableRequestHeaders, forwardedHeader } from "./headers.ts";
import { signatureHeaders } from "./signature.ts";

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

/** `read`, `write` or `read,write`, in that order whatever the credential's order. */
function scopesLabel(scopes: readonly string[]): string {
  const read = scopes.includes("read");
  const write = scopes.includes("write");
  return read && write ? "read,write" : read ? "read" : write ? "write" : "";
}

/**
 * The headers the origin receives: the client's, less Authorization, `Tenantry-*`, hop-by-hop
 * headers and any `Forwarded` it claimed; plus who the caller is (set only by the gateway) and an
 * RFC 9421 signature over method, target URI and those headers.
 */
export async function originHeaders(incoming: Request, incomingUrl: URL, targetUrl: string, caller: Caller, signing: SigningConfig, websocket: boolean): Promise<Headers> {
  const headers = forwardableRequestHeaders(incoming.headers, websocket);
  const covered = {
    "tenantry-tenant-id": caller.tenant.id,
    "tenantry-credential": credentialLabel(caller.credential),
    "tenantry-scopes": scopesLabel(caller.credential.scopes),
    "tenantry-request-id": caller.requestId,
  };
  // Signed from the values themselves, not read back from the Headers.
  const signed = signatureHeaders({ method: incoming.method, targetUri: targetUrl, headers: covered, created: Math.floor(Date.now() / 1000), keyId: signing.keyId }, signing.secret);
  headers.set("Tenantry-Tenant-Id", covered["tenantry-tenant-id"]);
  headers.set("Tenantry-Plan", caller.tenant.plan);
  headers.set("Tenantry-Isolation", caller.tenant.isolation);
  headers.set("Tenantry-Credential", covered["tenantry-credential"]);
  headers.set("Tenantry-Scopes", covered["tenantry-scopes"]);
  headers.set("Tenantry-Request-Id", covered["tenantry-request-id"]);
  headers.set("Forwarded", forwardedHeader(incoming.headers.get("CF-Connecting-IP"), incomingUrl.protocol.slice(0, -1), incoming.headers.get("Host") ?? incomingUrl.host));
  const { signatureInput, signature } = await signed;
  headers.set("Signature-Input", signatureInput);
  headers.set("Signature", signature);
  return headers;
}
