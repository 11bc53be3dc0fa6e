import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./problem.ts";

/** Fatal: bytes that are not UTF-8 are an error, not U+FFFD (a BOM is dropped, as `text()` drops it). */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The request's body as text, and its size in bytes as received. A body that is not UTF-8 is a 400:
 * `Request.text()` would put U+FFFD in place of the bad bytes, and the platform would store what the
 * client never sent. The text goes into Hono's body cache, so a handler's `c.req.text()` gets it.
 */
export async function readUtf8Body(c: Context<AppEnv>): Promise<{ text: string; bytes: number }> {
  const buffer = await c.req.arrayBuffer();
  let text: string;
  try {
    text = strictUtf8.decode(buffer);
  } catch {
    throw new ApiError("invalid_request", "The body is not valid UTF-8.", { errors: [{ path: "", message: "Invalid UTF-8" }] });
  }
  // Hono keeps each body it read as a promise in its public bodyCache (typed as the value).
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  return { text, bytes: buffer.byteLength };
}
