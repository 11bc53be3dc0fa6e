/**
 * Verifying Tenantry's webhooks (Standard Webhooks) in a receiver, with WebCrypto only: Node ≥ 18,
 * Workers, Deno and Bun.
 *
 *   const result = await verifyWebhook(request, process.env.TENANTRY_WEBHOOK_SECRET);
 *   if (!result.ok) return new Response(result.reason, { status: 400 });
 *   result.event.type; // "tenant.activated"
 *
 * The signature is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the secret's
 * decoded bytes (`whsec_<base64>`); after a rotation two `v1,` signatures are sent for a day and
 * either secret verifies. Check the raw body, before any JSON parsing.
 */
import { subtleOf, type WebCrypto } from "./webcrypto.ts";

/** Standard Webhooks' default: a timestamp further than this from now is refused (replays). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface WebhookEvent<T = unknown> {
  /** `msg_…`, the same on every retry: drop a duplicate by it. */
  id: string;
  type: string;
  timestamp: string;
  data: T;
}

export type WebhookVerification<T = unknown> = { ok: true; event: WebhookEvent<T> } | { ok: false; reason: string };

export interface WebhookMessage {
  /** The raw body, exactly as received. */
  body: string;
  header: (name: string) => string | null;
}

const encoder = new TextEncoder();

export interface WebhookVerifyOptions {
  /** Seconds a timestamp may be from now (default 300). */
  toleranceSeconds?: number;
  /** WebCrypto where the platform has no global one (Node 18: `(await import("node:crypto")).webcrypto`). */
  crypto?: WebCrypto;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> | null {
  return decodeBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

/** Constant-time comparison of two strings of base64. */
function sameText(left: string, right: string): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= left.charCodeAt(i) ^ right.charCodeAt(i);
  return difference === 0;
}

/** Verifies a message given its raw body and headers; `secrets` may hold the old and the new secret of a rotation. */
export async function verifyWebhookMessage<T = unknown>(
  message: WebhookMessage,
  secrets: string | string[],
  options: WebhookVerifyOptions & { now?: number } = {},
): Promise<WebhookVerification<T>> {
  const id = message.header("webhook-id");
  const timestamp = message.header("webhook-timestamp");
  const signatures = message.header("webhook-signature");
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature" };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp is not unix seconds" };
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return { ok: false, reason: "webhook-timestamp too old or in the future" };

  const offered = signatures
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => part.slice(3));
  const signed = encoder.encode(`${id}.${timestamp}.${message.body}`);
  const subtle = subtleOf(options.crypto);
  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    const raw = secretBytes(secret);
    if (!raw) continue;
    const key = await subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = btoa(String.fromCharCode(...new Uint8Array(await subtle.sign("HMAC", key, signed))));
    if (offered.some((candidate) => sameText(candidate, expected))) {
      try {
        return { ok: true, event: JSON.parse(message.body) as WebhookEvent<T> };
      } catch {
        return { ok: false, reason: "the body is not JSON" };
      }
    }
  }
  return { ok: false, reason: "no signature matches" };
}

/** Fetch API: reads the request's body (use a clone if you need it again). */
export async function verifyWebhook<T = unknown>(request: Request, secrets: string | string[], options?: WebhookVerifyOptions): Promise<WebhookVerification<T>> {
  const body = await request.text();
  return await verifyWebhookMessage<T>({ body, header: (name) => request.headers.get(name) }, secrets, options);
}

interface NodeLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end" | "error", listener: (error?: unknown) => void): unknown;
  tenantryWebhook?: WebhookEvent;
  body?: unknown;
}
interface NodeLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * Node/Express-style middleware: reads the raw body itself (mount it before any body parser),
 * answers 400 to a bad signature, and puts the verified event on `req.tenantryWebhook`.
 */
export function webhookMiddleware(secrets: string | string[], options: WebhookVerifyOptions = {}) {
  return (req: NodeLikeRequest, res: NodeLikeResponse, next: (error?: unknown) => void): void => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk) => chunks.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk));
    req.on("error", (error) => next(error));
    req.on("end", () => {
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const all = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      const body = new TextDecoder().decode(all);
      const header = (name: string) => {
        const value = req.headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(" ") : value;
      };
      verifyWebhookMessage({ body, header }, secrets, options).then(
        (result) => {
          if (result.ok) {
            req.tenantryWebhook = result.event;
            next();
            return;
          }
          res.statusCode = 400;
          res.setHeader("Content-Type", "application/problem+json");
          res.end(JSON.stringify({ type: "/problems/invalid_request", title: "Bad Request", status: 400, code: "invalid_request", detail: `Webhook signature: ${result.reason}.` }));
        },
        (error: unknown) => next(error),
      );
    });
  };
}
