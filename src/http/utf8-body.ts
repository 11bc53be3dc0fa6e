import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./problem.ts";

/** Fatal: bytes that are not UTF-8 are an error, not U+FFFD (a BOM is dropped, as `text()` drops it). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The request body's bytes as text. Bytes that are not UTF-8 are a 400: `Request.text()` would put
 * U+FFFD in their place, and the platform would store what the client never sent. The text goes
 * into Hono's body cache, so a handler's `c.req.text()` (or a validator's `json()`) gets it.
 */
export function decodeUtf8Body(c: Context<AppEnv>, body: ArrayBuffer): string {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw new ApiError("invalid_request", "The body is not valid UTF-8.", { errors: [{ path: "", message: "Invalid UTF-8" }] });
  }
  // Hono keeps each body it read as a promise in its public bodyCache (typed as the value).
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  return text;
}
