import type { Scope } from "../core/tenant-context.ts";
import { fromBase64Url, toBase64Url } from "../lib/encoding.ts";

/**
 * Realtime tickets: short-lived (60 s), single-use credentials for browsers, which cannot set an
 * Authorization header on a WebSocket. Signed (HMAC-SHA-256 under a key derived from JWT_SECRET),
 * so any edge can verify one; single use is enforced by the tenant's runtime object, which
 * remembers redeemed ticket ids until they expire.
 */
export const TICKET_TTL_MS = 60_000;
const PREFIX = "rt_";

export interface TicketClaims {
  tid: string;
  /** Who asked for it: `key:<id>` or `token:<sub>`. */
  actor: string;
  scopes: Scope[];
  jti: string;
  exp: number;
}

const keys = new Map<string, Promise<CryptoKey>>();

function ticketKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(`tenantry/realtime-ticket/${secret}`), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

function bytesToBase64Url(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function base64UrlToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export async function issueTicket(secret: string, claims: Omit<TicketClaims, "jti" | "exp">): Promise<{ ticket: string; expiresAt: string }> {
  const full: TicketClaims = { ...claims, jti: crypto.randomUUID(), exp: Date.now() + TICKET_TTL_MS };
  const payload = toBase64Url(JSON.stringify(full));
  const signature = await crypto.subtle.sign("HMAC", await ticketKey(secret), new TextEncoder().encode(payload));
  return { ticket: `${PREFIX}${payload}.${bytesToBase64Url(signature)}`, expiresAt: new Date(full.exp).toISOString() };
}

/** The claims of a genuine, unexpired ticket; null for anything else. Single use is checked elsewhere. */
export async function verifyTicket(secret: string, ticket: string, now = Date.now()): Promise<TicketClaims | null> {
  if (!ticket.startsWith(PREFIX) || ticket.length > 2048) return null;
  const [payload, signature, extra] = ticket.slice(PREFIX.length).split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const signatureBytes = base64UrlToBytes(signature);
  if (!signatureBytes) return null;
  const valid = await crypto.subtle.verify("HMAC", await ticketKey(secret), signatureBytes, new TextEncoder().encode(payload));
  if (!valid) return null;
  const text = fromBase64Url(payload);
  if (!text) return null;
  const claims = JSON.parse(text) as TicketClaims;
  return claims.exp > now ? claims : null;
}
