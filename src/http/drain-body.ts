import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";

/** Past this much, a refused upload is cut off (the connection closes) rather than read to its end. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads whatever is left of the request body once the response is ready. workerd closes a
 * kept-alive connection whose request body went unread (a 401, 429 or 413 answered before the
 * body), without saying `Connection: close`: the client's next request on that connection is
 * lost, and a client still sending a large body gets a reset instead of its 413.
 */
export const drainBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  await drainRequestBody(c.req.raw);
};

/** Reads the rest of a request body not otherwise read (up to MAX_DRAIN_BYTES; beyond, the connection closes). */
export async function drainRequestBody(request: Request): Promise<void> {
  // A body handed on (the gateway streams it to the origin) is locked: it is not ours to read.
  if (request.body === null || request.bodyUsed || request.body.locked) return;
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_DRAIN_BYTES) return;
  const reader = request.body.getReader();
  try {
    let read = 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      read += chunk.value.byteLength;
      if (read > MAX_DRAIN_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away mid-body: nothing left to keep alive.
  }
}
