import type { MiddlewareHandler } from "hono";
import { RequestTimer } from "../lib/request-timer.ts";
import type { AppEnv } from "./app-env.ts";

export { NO_ROUND_TRIPS, RequestTimer, totalOnlyServerTiming, type Destination, type Phase } from "../lib/request-timer.ts";
/** Response header with every destination's round-trip count (Server-Timing carries the database's). */
export const ROUND_TRIPS_HEADER = "X-Round-Trips";

/** Puts a `RequestTimer` on the context; answers that asked for it get `Server-Timing` and round-trip counts. */
export const timing: MiddlewareHandler<AppEnv> = async (c, next) => {
  const timer = new RequestTimer();
  c.set("timer", timer);
  await next();
  if (!timer.reporting) return;
  try {
    // Appended: a gateway answer keeps its origin's own Server-Timing entries, ours after them.
    c.res.headers.append("Server-Timing", timer.serverTiming());
    c.res.headers.set(ROUND_TRIPS_HEADER, timer.roundTrips());
  } catch {
    // A WebSocket upgrade's headers are immutable: it goes without.
  }
};
