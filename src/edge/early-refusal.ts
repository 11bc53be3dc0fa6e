import { openRedis } from "../cache/redis.ts";
import { drainRequestBody } from "../http/drain-body.ts";
import { toProblemResponse } from "../http/problem.ts";
import { requestIdFrom } from "../http/request-id.ts";
import { NO_ROUND_TRIPS, ROUND_TRIPS_HEADER, totalOnlyServerTiming } from "../http/timing.ts";
import { knownRefusal } from "../limits/edge-limits.ts";
import { REALTIME_PATH } from "../realtime/paths.ts";
import { noteQuotaExhausted } from "../webhooks/quota-exhausted.ts";
import { isDataPlanePath } from "./data-plane-paths.ts";
import { edgeTally } from "./edge-tally.ts";
import { limitRefusal } from "./limit-refusal.ts";
import { lastKnownTenant } from "./resolve-credential.ts";

/**
 * A flood is mostly refusals, and a machine's workerd runs its requests and runtime objects on one
 * thread: what a refusal costs there, the tenant's neighbours wait for. So a data-plane request
 * whose API key's tenant this isolate knows to be over its token bucket or its day's quota is
 * answered here, before the app runs: the same 429 the pipeline would give after its lookups
 * (src/edge/pipeline.ts), tallied the same way, without routing, middleware or a round trip.
 * Undefined for any other request (the app answers it).
 */
export function refuseEarly(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> | undefined {
  const path = plainPath(request.url);
  if (path === undefined || path === REALTIME_PATH || !isDataPlanePath(path)) return undefined;
  const tenant = lastKnownTenant(request.headers.get("Authorization") ?? undefined);
  if (!tenant) return undefined;
  const refused = knownRefusal(tenant.id, tenant.limits);
  if (!refused) return undefined;

  const startedAt = performance.now();
  const defer = (promise: Promise<unknown>) => ctx.waitUntil(promise);
  // Benchmarks only: METERING=off counts nothing (as in the pipeline).
  if (env.METERING !== "off") edgeTally.refused(env, tenant, refused.code, true, defer);
  if (refused.code === "quota_exceeded") noteQuotaExhausted(env, () => openRedis(env), tenant, defer);
  const requestId = requestIdFrom(request.headers.get("X-Request-Id") ?? undefined);
  const response = toProblemResponse(limitRefusal(refused, tenant.limits), requestId, {
    "Server-Timing": totalOnlyServerTiming(startedAt),
    [ROUND_TRIPS_HEADER]: NO_ROUND_TRIPS,
  });
  // As the app does: a body left unread would cost the client its kept-alive connection.
  return drainRequestBody(request).then(() => response);
}

/** The URL's path, or undefined when it is percent-encoded (the app decodes it, and decides). */
function plainPath(url: string): string | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return undefined;
  const query = url.indexOf("?", start);
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  return path.includes("%") ? undefined : path;
}
