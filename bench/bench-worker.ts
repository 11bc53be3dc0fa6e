// BENCHMARK-ONLY Worker entry (bench/wrangler.bench.toml), never deployed. It is the real edge
// Worker (workers/edge.ts: createApp(), the queue consumer, the scheduled jobs and the Durable
// Object classes) plus what the benchmarks compare it against:
//   GET /bench/hello        plain workerd hello world: the floor of the local stack
//   GET /bench/subrequest   hello world plus one Upstash round trip (PING): what one subrequest costs here
//   /bench/bare/<path>      the same data-plane handlers without tenancy (bench/worker/bare-app.ts)
//   GET /bench/decision     the blocked-tenant decision loop inside workerd (bench/worker/decision-route.ts)
//   /bench/passthrough/<path>  a plain proxy to the origin in X-Bench-Origin: what the gateway is compared against
//   GET /bench/gateway-work the gateway's own work per request, without pipeline or network (bench/worker/gateway-work-route.ts)
//   GET /bench/counts       invocations, runtime-object calls, queue messages, SQLite rows so far (bench/worker/op-counts.ts);
//                           POST /bench/counts?on=1|0 switches the counting of calls and rows on or off (off by default)
//   /bench/unmetered/<path> the real app with METERING=off for this request: what metering costs, measured
//                           beside metered requests without restarting the Worker between them
import type { ProvisioningQueueMessage } from "../src/provisioning/messages.ts";
import { openRedis } from "../src/cache/redis.ts";
import edge from "../workers/edge.ts";
import { createBareApp } from "./worker/bare-app.ts";
import { decisionRoute } from "./worker/decision-route.ts";
import { gatewayWorkRoute } from "./worker/gateway-work-route.ts";
import { COUNTS_PATH, countInvocation, countingEnv, countQueueBatch, countsResponse, switchCounting } from "./worker/op-counts.ts";

export * from "../workers/edge.ts";
// Shadows the star export: the same class, counting what it is billed for (op-counts.ts).
export { CountedTenantRuntime as TenantRuntime } from "./worker/op-counts.ts";

const BARE_PREFIX = "/bench/bare";
const bare = createBareApp();
const PASSTHROUGH_PREFIX = "/bench/passthrough";
const UNMETERED_PREFIX = "/bench/unmetered";

/**
 * The Worker's env with METERING=off, made once per env (caches keyed by it stay warm). The
 * pipeline then neither tallies nor measures the request, so its runtime object writes nothing for it.
 */
const unmeteredEnvs = new WeakMap<Env, Env>();
function unmeteredEnv(env: Env): Env {
  let unmetered = unmeteredEnvs.get(env);
  if (!unmetered) {
    unmetered = { ...env, METERING: "off" };
    unmeteredEnvs.set(env, unmetered);
  }
  return unmetered;
}

/** Fetch and return, nothing else: the floor a gateway in front of the same origin is held to. */
function passThrough(request: Request, url: URL): Promise<Response> {
  const origin = request.headers.get("X-Bench-Origin") ?? "";
  return fetch(`${origin}${url.pathname.slice(PASSTHROUGH_PREFIX.length)}${url.search}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
}

/** Whether the URL's path starts with /bench/ (every route of this Worker's own does). */
function isBenchPath(url: string): boolean {
  return url.startsWith("/bench/", url.indexOf("/", url.indexOf("//") + 2));
}

export default {
  fetch(request, rawEnv, ctx) {
    // The product's own requests pass untouched: no URL object is made for them here, as none is
    // in production (workers/edge.ts), so the isolate's garbage is the product's alone.
    if (!isBenchPath(request.url)) {
      countInvocation("fetch");
      return edge.fetch(request, countingEnv(rawEnv), ctx);
    }
    const url = new URL(request.url);
    if (url.pathname === COUNTS_PATH) return request.method === "POST" ? switchCounting(request) : countsResponse();
    countInvocation("fetch");
    const env = countingEnv(rawEnv);
    if (url.pathname === "/bench/hello") return new Response("Hello World!");
    if (url.pathname === "/bench/subrequest") return openRedis(env).ping().then((pong) => new Response(pong));
    if (url.pathname === "/bench/decision") return decisionRoute(request, env);
    if (url.pathname === "/bench/gateway-work") return gatewayWorkRoute(request);
    if (url.pathname.startsWith(`${PASSTHROUGH_PREFIX}/`)) return passThrough(request, url);
    if (url.pathname.startsWith(`${UNMETERED_PREFIX}/`)) {
      url.pathname = url.pathname.slice(UNMETERED_PREFIX.length);
      return edge.fetch(new Request(url, request), unmeteredEnv(env), ctx);
    }
    if (url.pathname.startsWith(`${BARE_PREFIX}/`)) {
      url.pathname = url.pathname.slice(BARE_PREFIX.length);
      return bare.fetch(new Request(url, request), env, ctx);
    }
    return edge.fetch(request, env, ctx);
  },
  queue(batch, env, ctx) {
    countQueueBatch(batch.messages.length);
    return edge.queue(batch, countingEnv(env), ctx);
  },
  scheduled(controller, env, ctx) {
    countInvocation("scheduled");
    return edge.scheduled(controller, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env, ProvisioningQueueMessage>;
