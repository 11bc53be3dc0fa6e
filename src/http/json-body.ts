import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { jsonProblem } from "../lib/storable-text.ts";
import { ApiError } from "./problem.ts";
import { decodeUtf8Body } from "./utf8-body.ts";

/** No body on any route may exceed this, before any plan limit is considered. */
export const PLATFORM_MAX_BODY_BYTES = 2 * 1024 * 1024;

/** The grammar @hono/zod-openapi's body validators accept too, so every route agrees on what is JSON. */
const JSON_TYPE = /^application\/([a-z0-9.-]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && JSON_TYPE.test(value);
}

/**
 * Guards every body before routing does: a size cap (413), JSON only (415), UTF-8, well-formed and storable (400).
 * The parsed body is cached by Hono, so validators downstream do not parse again.
 * Routes that take another media type (NDJSON import) are listed in `except`.
 */
export function jsonBody(except: (path: string) => boolean = () => false): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method) || except(c.req.path)) return next();
    const declared = Number(c.req.header("Content-Length") ?? "NaN");
    if (declared > PLATFORM_MAX_BODY_BYTES) {
      throw new ApiError("payload_too_large", `Request body is over the platform limit of ${PLATFORM_MAX_BODY_BYTES} bytes.`, {
        limit: PLATFORM_MAX_BODY_BYTES,
      });
    }
    // Bytes first: the size and the media type are judged before the text is (a 413 or 415 stays one).
    const body = await c.req.arrayBuffer();
    const bytes = body.byteLength;
    if (bytes === 0) {
      decodeUtf8Body(c, body);
      return next();
    }
    c.set("requestBytes", bytes);
    if (bytes > PLATFORM_MAX_BODY_BYTES) {
      throw new ApiError("payload_too_large", `Request body is over the platform limit of ${PLATFORM_MAX_BODY_BYTES} bytes.`, {
        limit: PLATFORM_MAX_BODY_BYTES,
      });
    }
    if (!isJsonContentType(c.req.header("Content-Type"))) {
      throw new ApiError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
    }
    const text = decodeUtf8Body(c, body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError("invalid_request", "The body is not valid JSON.", { errors: [{ path: "", message: "Malformed JSON" }] });
    }
    // U+0000 is refused field by field (an encrypted secret may hold it); what no field may hold, here.
    const problem = jsonProblem(parsed, { allowNul: true });
    if (problem) {
      const path = ["body", ...problem.path].join(".");
      throw new ApiError("invalid_request", `${path}: ${problem.message}`, { errors: [{ path, message: problem.message }] });
    }
    await next();
  };
}
