import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { sqlState } from "../db/errors.ts";
import type { AppEnv } from "./app-env.ts";
import { ApiError, toProblemResponse, type FieldError } from "./problem.ts";
import { log } from "../lib/log.ts";

/**
 * SQLSTATE classes that mean "the database is not there right now" rather than "your query is
 * wrong": connection exceptions (08), insufficient resources (53), operator intervention (57).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;

/**
 * Data exceptions (class 22: bad encoding, U+0000 in text, an unsupported Unicode escape in jsonb,
 * a value out of range): the input is wrong and retrying cannot help. The edge refuses such input
 * before it reaches Postgres; this is the backstop for whatever still gets through.
 */
const DATA_EXCEPTION_SQLSTATE = /^22/;

/** Everything thrown below the HTTP layer becomes one of the contract's problem documents. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiError("payload_too_large", "Request body is too large.");
    if (error.status === 415) return new ApiError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
    const message = error.message || "The request is invalid.";
    // Hono's own validators (an empty or unparsable body): the body as a whole is at fault.
    return new ApiError("invalid_request", message, { errors: [{ path: "", message }] });
  }
  const state = sqlState(error);
  if (state && DATA_EXCEPTION_SQLSTATE.test(state)) {
    const message = "The database cannot store a value in this request (for example U+0000 in text).";
    return new ApiError("invalid_request", message, { errors: [{ path: "", message }] });
  }
  if (state && !UNAVAILABLE_SQLSTATE.test(state)) {
    // A query the code built went wrong: a bug, but still nothing the caller should see as a 500.
    return new ApiError("unavailable", "The request could not be completed; retry later.", { retryAfterMs: 1000 });
  }
  return new ApiError("unavailable", "A dependency is unavailable; retry later.", { retryAfterMs: 1000 });
}

export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  if (!(error instanceof ApiError) && !(error instanceof HTTPException)) {
    const cause = (error as { cause?: unknown })?.cause;
    log.error(String(error), {
      requestId: c.get("requestId"),
      tenantId: c.get("tenant")?.id,
      // drizzle wraps the driver's error: the cause says what Postgres (or the socket) answered.
      ...(cause ? { sqlState: sqlState(error), cause: String(cause) } : {}),
      stack: (error as Error)?.stack,
    });
  }
  return toProblemResponse(apiError, c.get("requestId") ?? "unknown");
}

export function validationError(errors: FieldError[]): ApiError {
  const first = errors[0];
  const detail = first ? `${first.path}: ${first.message}` : "The request is invalid.";
  return new ApiError("invalid_request", detail, { errors });
}
