import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { PLATFORM_MAX_BODY_BYTES } from "./json-body.ts";

/**
 * Reads whatever is left of the request body once the response is ready. workerd closes a
 * kept-alive connection whose request body went unread (a 401, 429 or 413 answered before the
 * body), without saying `Connection: close`, so the client's next request on that connection is
 * lost. A body over the platform cap is left unread: that connection closes, as it should.
 */
export const drainBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const request = c.req.raw;
  if (request.body === null || request.bodyUsed) return;
  if (Number(request.headers.get("Content-Length") ?? 0) > PLATFORM_MAX_BODY_BYTES) return;
  const reader = request.body.getReader();
  try {
    let read = 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      read += chunk.value.byteLength;
      if (read > PLATFORM_MAX_BODY_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away mid-body: nothing left to keep alive.
  }
};
