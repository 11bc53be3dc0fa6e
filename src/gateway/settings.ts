import { z } from "@hono/zod-openapi";
import type { GatewaySettings } from "../core/tenant-context.ts";
import { validationError } from "../http/errors.ts";

export type { GatewaySettings };

export const DEFAULT_TIMEOUT_MS = 30_000;
export const MIN_TIMEOUT_MS = 1000;
export const MAX_TIMEOUT_MS = 60_000;

/** Hosts a plain-http origin may name, and only in the `development` environment. */
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);

/**
 * Why `value` cannot be an origin, or null. An origin is an absolute `https://` URL, optionally
 * with a path prefix, without credentials, query or fragment; `http://127.0.0.1:<port>` and
 * `http://localhost:<port>` also pass here (the environment check comes later, see
 * assertOriginAllowed).
 */
function originProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Expected an absolute URL such as https://api.example.com.";
  }
  if (url.username || url.password) return "An origin carries no credentials.";
  if (url.search || url.hash || value.includes("?") || value.includes("#")) return "An origin has no query or fragment.";
  if (url.port === "0") return "Port 0 is not a port an origin can listen on.";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname) && url.port !== "") return null;
  return "Expected an https:// URL (http://127.0.0.1:<port> or http://localhost:<port> in development).";
}

/** The origin without a trailing slash: `/gw/{path}` appends `/{path}` to it. */
const normalizeOrigin = (value: string) => {
  const url = new URL(value);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
};

export const OriginSchema = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = originProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform(normalizeOrigin)
  .openapi({ description: "`https://` URL (in development also `http://127.0.0.1:<port>` or `http://localhost:<port>`)", example: "https://api.example.com" });

const TimeoutSchema = z
  .number()
  .int()
  .min(MIN_TIMEOUT_MS)
  .max(MAX_TIMEOUT_MS)
  .openapi({ description: `Milliseconds to wait for the origin's response headers before 504 (${MIN_TIMEOUT_MS}–${MAX_TIMEOUT_MS}, default ${DEFAULT_TIMEOUT_MS})` });

export const GatewaySettingsSchema = z
  .object({ origin: z.string(), timeoutMs: z.number().int() })
  .openapi("GatewaySettings", { description: "Where this tenant's `/gw/*` requests go (else the deployment's GATEWAY_ORIGIN)." });

/** In a create body: an origin, and optionally a timeout. */
export const GatewayInputSchema = z.strictObject({ origin: OriginSchema, timeoutMs: TimeoutSchema.optional() }).openapi("GatewayInput");

/** In a PATCH body (JSON merge patch): members to change; `timeoutMs: null` goes back to the default. */
export const GatewayPatchSchema = z
  .strictObject({ origin: OriginSchema.optional(), timeoutMs: TimeoutSchema.nullable().optional() })
  .openapi("GatewayPatch");

export function gatewayFromInput(input: z.infer<typeof GatewayInputSchema>): GatewaySettings {
  return { origin: input.origin, timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

/** Merges a patch into the current settings: `null` removes them; the result needs an origin. */
export function mergeGateway(current: GatewaySettings | null, patch: z.infer<typeof GatewayPatchSchema> | null): GatewaySettings | null {
  if (patch === null) return null;
  const origin = patch.origin ?? current?.origin;
  if (origin === undefined) throw validationError([{ path: "body.gateway.origin", message: "An origin is required to set up the gateway." }]);
  const timeoutMs = patch.timeoutMs === undefined ? (current?.timeoutMs ?? DEFAULT_TIMEOUT_MS) : (patch.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return { origin, timeoutMs };
}

/** Plain-http (loopback) origins exist for local development only. */
export function assertOriginAllowed(settings: { origin?: string } | null | undefined, environment: string | undefined): void {
  if (!settings?.origin || environment === "development") return;
  if (new URL(settings.origin).protocol !== "https:") {
    throw validationError([{ path: "body.gateway.origin", message: "Expected an https:// URL." }]);
  }
}
