/**
 * Verifying that a request came through Tenantry's gateway (`/gw/*`), for the origin behind it.
 *
 * The gateway signs every forwarded request per RFC 9421 (HTTP Message Signatures) with
 * HMAC-SHA256 and the deployment's GATEWAY_SIGNING_SECRET, over `@method`, `@target-uri` and the
 * `Tenantry-*` headers that say who the caller is. A valid, fresh signature means those headers
 * are the gateway's, not the client's. Standalone (WebCrypto only): runs in Node ≥ 18, Workers,
 * Deno and Bun (on Node 18, pass `crypto`: see VerifyOptions).
 *
 *   const result = await verifyGatewayRequest(request, process.env.GATEWAY_SIGNING_SECRET);
 *   if (!result.ok) return new Response(result.reason, { status: 401 });
 *   result.tenant.id; // "ten_…"
 */

import { subtleOf, type WebCrypto } from "./webcrypto.ts";

export const SIGNATURE_LABEL = "tenantry";
/** What the gateway signs; a signature covering less is refused. */
export const REQUIRED_COMPONENTS = ["@method", "@target-uri", "tenantry-tenant-id", "tenantry-credential", "tenantry-scopes", "tenantry-request-id"];
/** The contract: an origin refuses a signature older than this. */
export const MAX_AGE_SECONDS = 60;
/** Clock skew tolerated for a `created` in the future. */
const FUTURE_SKEW_SECONDS = 5;

export interface GatewayCaller {
  /** `ten_…` */
  id: string;
  plan: string;
  isolation: string;
  /** `key_…` (an API key) or `jwt:<sub>` (a tenant token). */
  credential: string;
  scopes: string[];
  /** Tenantry's request id, also in the gateway's `X-Request-Id` answer to the client. */
  requestId: string;
}

export type GatewayVerification =
  | { ok: true; tenant: GatewayCaller; keyId: string; created: number }
  | { ok: false; reason: string };

export interface VerifyOptions {
  /** Seconds a signature stays valid (default 60, the contract's limit). */
  maxAgeSeconds?: number;
  /** Accept only this `keyid` (default: any). */
  keyId?: string;
  /**
   * The URI the gateway sent the request to, when the origin sees another one (behind a proxy
   * that terminates TLS or rewrites the host): the gateway signs `{origin}/{path}?{query}`.
   */
  targetUri?: string;
  /** Unix seconds now (tests). */
  now?: number;
  /** WebCrypto where the platform has no global one (Node 18: `(await import("node:crypto")).webcrypto`). */
  crypto?: WebCrypto;
}

/** The parts of a request the signature covers, however the server framework presents it. */
export interface SignedMessage {
  method: string;
  targetUri: string;
  header(name: string): string | null;
}

/** Verifies a Fetch-API `Request` (Hono, Workers, Deno, Bun, Next.js route handlers…). */
export function verifyGatewayRequest(request: Request, secret: string, options: VerifyOptions = {}): Promise<GatewayVerification> {
  return verifySignedMessage(
    { method: request.method, targetUri: options.targetUri ?? request.url, header: (name) => request.headers.get(name) },
    secret,
    options,
  );
}

export async function verifySignedMessage(message: SignedMessage, secret: string, options: VerifyOptions = {}): Promise<GatewayVerification> {
  if (!secret) return { ok: false, reason: "no signing secret configured" };
  const input = dictionaryMember(message.header("signature-input"), SIGNATURE_LABEL);
  const signature = dictionaryMember(message.header("signature"), SIGNATURE_LABEL);
  if (!input || !signature) return { ok: false, reason: `no "${SIGNATURE_LABEL}" signature` };
  const parsed = parseSignatureInput(input);
  if (!parsed) return { ok: false, reason: "malformed Signature-Input" };
  const missing = REQUIRED_COMPONENTS.filter((name) => !parsed.components.includes(name));
  if (missing.length > 0) return { ok: false, reason: `signature does not cover ${missing.join(", ")}` };
  if (parsed.params.alg !== "hmac-sha256") return { ok: false, reason: "unsupported alg" };
  const created = parsed.params.created;
  if (typeof created !== "number") return { ok: false, reason: "signature has no created time" };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (now - created > (options.maxAgeSeconds ?? MAX_AGE_SECONDS)) return { ok: false, reason: "signature expired" };
  if (created - now > FUTURE_SKEW_SECONDS) return { ok: false, reason: "signature created in the future" };
  const keyId = typeof parsed.params.keyid === "string" ? parsed.params.keyid : "";
  if (options.keyId !== undefined && keyId !== options.keyId) return { ok: false, reason: "unknown keyid" };
  const mac = /^:([A-Za-z0-9+/=]*):$/.exec(signature.trim());
  if (!mac) return { ok: false, reason: "malformed Signature" };

  const lines: string[] = [];
  for (const name of parsed.components) {
    const value = name === "@method" ? message.method.toUpperCase() : name === "@target-uri" ? message.targetUri : message.header(name)?.trim();
    if (value === undefined || value === null) return { ok: false, reason: `signed header ${name} is missing` };
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${input.trim()}`);
  const subtle = subtleOf(options.crypto);
  const key = await subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const valid = await subtle.verify("HMAC", key, fromBase64(mac[1]!), new TextEncoder().encode(lines.join("\n")));
  if (!valid) return { ok: false, reason: "signature does not match" };

  return {
    ok: true,
    keyId,
    created,
    tenant: {
      id: message.header("tenantry-tenant-id") ?? "",
      plan: message.header("tenantry-plan") ?? "",
      isolation: message.header("tenantry-isolation") ?? "",
      credential: message.header("tenantry-credential") ?? "",
      scopes: (message.header("tenantry-scopes") ?? "").split(",").filter(Boolean),
      requestId: message.header("tenantry-request-id") ?? "",
    },
  };
}

/** Node's `IncomingMessage` (and Express's `req`), as far as verification needs it. */
export interface NodeLikeRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { encrypted?: boolean };
  tenantry?: GatewayCaller;
}

interface NodeLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface MiddlewareOptions extends Omit<VerifyOptions, "targetUri"> {
  /**
   * The origin as the gateway knows it (the tenant's `gateway.origin` or GATEWAY_ORIGIN), e.g.
   * `https://api.example.com`. Default: the protocol and Host header this server saw.
   */
  origin?: string;
}

/**
 * Connect/Express middleware: refuses (401 problem document) what the gateway did not sign, and
 * puts the caller on `req.tenantry` for the rest.
 */
export function gatewayMiddleware(secret: string, options: MiddlewareOptions = {}) {
  return (req: NodeLikeRequest, res: NodeLikeResponse, next: (error?: unknown) => void): void => {
    const header = (name: string) => {
      const value = req.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    };
    const origin = (options.origin ?? `${req.socket?.encrypted ? "https" : "http"}://${header("host") ?? "localhost"}`).replace(/\/+$/, "");
    const message: SignedMessage = { method: req.method ?? "GET", targetUri: `${origin}${req.originalUrl ?? req.url ?? "/"}`, header };
    verifySignedMessage(message, secret, options).then(
      (result) => {
        if (result.ok) {
          req.tenantry = result.tenant;
          next();
          return;
        }
        res.statusCode = 401;
        res.setHeader("Content-Type", "application/problem+json");
        res.end(JSON.stringify({ type: "/problems/unauthenticated", title: "Unauthenticated", status: 401, code: "unauthenticated", detail: `Gateway signature: ${result.reason}.` }));
      },
      (error: unknown) => next(error),
    );
  };
}

/** The raw text of `label` in a structured-field dictionary (RFC 8941), or null. */
function dictionaryMember(field: string | null, label: string): string | null {
  if (!field) return null;
  for (const member of splitTopLevel(field, ",")) {
    const at = member.indexOf("=");
    if (at > 0 && member.slice(0, at).trim() === label) return member.slice(at + 1).trim();
  }
  return null;
}

/** Splits on `separator` outside quoted strings and parentheses. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === "\\") i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `("a" "b");created=1;keyid="x"` → components and parameters. */
function parseSignatureInput(value: string): { components: string[]; params: Record<string, string | number> } | null {
  const match = /^\(([^)]*)\)(.*)$/.exec(value.trim());
  if (!match) return null;
  const components: string[] = [];
  for (const item of match[1]!.trim().split(/\s+/).filter(Boolean)) {
    const component = /^"([^"\\]*)"$/.exec(item);
    if (!component) return null;
    components.push(component[1]!);
  }
  const params: Record<string, string | number> = {};
  for (const param of splitTopLevel(match[2]!, ";").slice(1)) {
    const at = param.indexOf("=");
    if (at <= 0) return null;
    const name = param.slice(0, at).trim();
    const raw = param.slice(at + 1).trim();
    if (/^-?\d{1,15}$/.test(raw)) params[name] = Number(raw);
    else if (/^"(?:[^"\\]|\\.)*"$/.test(raw)) params[name] = raw.slice(1, -1).replace(/\\(.)/g, "$1");
    else params[name] = raw;
  }
  return { components, params };
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
