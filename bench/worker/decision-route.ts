// GET /bench/decision?variant=limits|resolve|both&iterations=N: the in-isolate decision loop of
// bench/scenarios/decision.ts, run inside workerd, in timed batches of ~50 ms, each after renewing
// the block against the real Upstash and refreshing the isolate caches. (Locally, workerd's clock
// advances while code runs; performance.now() has 1 ms resolution, hence batches of ~50 ms and
// whole-run totals.) Answers { iterations, loopMs, wrong, networkCalls }. Benchmark Worker only.
import { upstashBreaker } from "../../src/cache/circuit-breaker.ts";
import { openRedis } from "../../src/cache/redis.ts";
import { resolveCaller } from "../../src/edge/resolve-credential.ts";
import { keyRecordCache, tenantContextCache } from "../../src/edge/tenant-loader.ts";
import type { Services } from "../../src/services/open-services.ts";
import { hashApiKey } from "../../src/keys/api-keys.ts";
import { checkEdgeLimits } from "../../src/limits/edge-limits.ts";
import { effectiveLimits, planFeatures } from "../../src/core/plans.ts";
import type { TenantContext } from "../../src/core/tenant-context.ts";

const UNREACHABLE_URL = "http://127.0.0.1:9";
const API_KEY = "tk_BenchDecisionWorkerd11111111111111";

export async function decisionRoute(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const variant = url.searchParams.get("variant") ?? "limits";
  const iterations = Math.min(2_000_000, Math.max(0, Number(url.searchParams.get("iterations") ?? 0) || 0));
  const suffix = (url.searchParams.get("tenant") ?? "x").replace(/[^a-z0-9]/gi, "").slice(0, 40);
  const tenant: TenantContext = {
    id: `ten_benchdecisionw${suffix}`,
    name: "decision benchmark",
    plan: "enterprise",
    status: "active",
    isolation: "shared",
    region: null,
    limits: effectiveLimits("enterprise", { requestsPerSecond: 1, burst: 1 }),
    features: planFeatures("enterprise"),
    configVersion: 1,
  };
  const real = openRedis(env);
  const unreachable = openRedis({ UPSTASH_REDIS_REST_URL: UNREACHABLE_URL, UPSTASH_REDIS_REST_TOKEN: "unreachable" });
  const services: Services = {
    get db(): never {
      throw new Error("the decision benchmark must not reach Postgres");
    },
    get dbHttp(): never {
      throw new Error("the decision benchmark must not reach Postgres");
    },
    redis: unreachable,
    redisAhead: unreachable,
  };
  const noDefer = () => {};
  const pending: Promise<unknown>[] = [];
  const keep = (promise: Promise<unknown>) => void pending.push(promise.catch(() => {}));

  const hash = await hashApiKey(API_KEY);
  const authorization = `Bearer ${API_KEY}`;
  /** Renews the block against the real Upstash and refreshes the isolate caches (TTL 500 ms). */
  const prepare = async (): Promise<boolean> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const decision = await checkEdgeLimits(() => real, tenant.id, tenant.limits, keep);
      if (decision.kind === "refused" && decision.retryAfterMs >= 300) {
        await Promise.all(pending.splice(0));
        keyRecordCache(env).set(hash, { keyId: "key_bench", tenantId: tenant.id, scopes: ["read", "write"], expiresAt: null, revoked: false });
        tenantContextCache(env).set(tenant.id, tenant);
        return true;
      }
      if (decision.kind === "refused") await new Promise((resolve) => setTimeout(resolve, decision.retryAfterMs + 5));
    }
    return false;
  };
  const decide: () => Promise<boolean> =
    variant === "limits"
      ? async () => (await checkEdgeLimits(() => unreachable, tenant.id, tenant.limits, noDefer)).kind === "refused"
      : variant === "resolve"
        ? async () => (await resolveCaller(authorization, env, services, noDefer)).tenant.id === tenant.id
        : async () => {
            const caller = await resolveCaller(authorization, env, services, noDefer);
            return (await checkEdgeLimits(() => unreachable, caller.tenant.id, caller.tenant.limits, noDefer)).kind === "refused";
          };

  let fetches = 0;
  const realFetch = globalThis.fetch;
  let wrong = 0;
  let loopMs = 0;
  let batches = 0;
  upstashBreaker.recordSuccess();
  try {
    // Batches of ~50 ms, each timed alone, far inside the block and the cache TTL (as in Node).
    let size = 200;
    for (let done = 0; done < iterations; ) {
      size = Math.min(size, iterations - done);
      if (!(await prepare())) return Response.json({ error: "could not block the tenant" }, { status: 500 });
      globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
        fetches++;
        return realFetch(...args);
      }) as typeof fetch;
      const started = performance.now();
      for (let i = 0; i < size; i++) if (!(await decide())) wrong++;
      const elapsed = performance.now() - started;
      globalThis.fetch = realFetch;
      loopMs += elapsed;
      batches++;
      done += size;
      size = Math.max(100, Math.min(20_000, Math.round(50 / Math.max(elapsed / size, 1e-4))));
    }
  } finally {
    globalThis.fetch = realFetch;
    upstashBreaker.recordSuccess();
  }
  return Response.json({ variant, iterations, wrong, networkCalls: fetches, loopMs, batches });
}
