// The in-isolate decision for a tenant that is already blocked: measured in Node (tsx) on the real
// modules, not through HTTP. The tenant is blocked by the real limiter against the stack's Redis
// (its token bucket emptied), then every measured decision runs with an @upstash/redis client that
// points at 127.0.0.1:9, where nothing listens: a decision that needed the network would fail or
// take milliseconds, and globalThis.fetch is counted to prove none is made.
//
// Measured per decision, after warm-up, in batches (each batch starts with the block renewed and
// the isolate caches fresh, as they are under a real flood; the batch itself is timed alone):
//   limits              checkEdgeLimits for the blocked tenant (ephemeral cache hit)
//   resolve             resolveCaller: bearer parse, SHA-256 of the key, isolate-cache hits for key and tenant
//   resolve + limits    both, i.e. everything the edge does before refusing the request
// Plus the case the ephemeral cache does not cover: a tenant WITH a daily quota (free/pro) blocked by
// its bucket still sends the daily-quota script to Upstash on every request.
// Cross-check: the same three loops inside workerd (GET /bench/decision of the benchmark Worker),
// because Node's WebCrypto digest (a thread-pool hop) and timers cost differently from workerd's.
import { upstashBreaker } from "../../src/cache/circuit-breaker.ts";
import { openRedis } from "../../src/cache/redis.ts";
import { resolveCaller } from "../../src/edge/resolve-credential.ts";
import { keyRecordCache, tenantContextCache } from "../../src/edge/tenant-loader.ts";
import type { Services } from "../../src/services/open-services.ts";
import { hashApiKey } from "../../src/keys/api-keys.ts";
import { checkEdgeLimits } from "../../src/limits/edge-limits.ts";
import { effectiveLimits, planFeatures, type Limits, type PlanId } from "../../src/core/plans.ts";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { sleep } from "../lib/admin.ts";
import { figure, type Scenario } from "../lib/scenario.ts";
import { round, summarize } from "../lib/stats.ts";

const UNREACHABLE_URL = "http://127.0.0.1:9";
const MAX_BATCH = 20_000;
const BATCH_NS = 50e6;
const WARMUP = 20_000;
/** A batch must end well before the block does (the bucket refills within 1 s). */
const MIN_BLOCK_LEFT_MS = 300;

interface Measured {
  nsPerDecision: number;
  iterations: number;
  /** Decisions that were not what a blocked tenant must get. */
  wrong: number;
  /** fetch() calls made while timing: must be 0. */
  networkCalls: number;
  batchNs: number[];
}

export const decisionScenario: Scenario = {
  id: "decision",
  title: "in-isolate rate-limit decision for a blocked tenant (Node, real modules)",
  async run(ctx) {
    const iterations = ctx.profile.decisionIterations;
    const env = { TENANT_CACHE_TTL_MS: "500", JWT_SECRET: "unused-in-this-benchmark-0123456789abcdef" } as unknown as Env;
    const unreachable = openRedis({ UPSTASH_REDIS_REST_URL: UNREACHABLE_URL, UPSTASH_REDIS_REST_TOKEN: "unreachable" });
    const real = openRedis({ UPSTASH_REDIS_REST_URL: ctx.stack.upstash.url, UPSTASH_REDIS_REST_TOKEN: ctx.stack.upstash.token });
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
    const keepDefer = (promise: Promise<unknown>) => void promise.catch(() => {});

    const run = Date.now().toString(36);
    const tenantOf = (plan: PlanId, suffix: string): TenantContext => ({
      id: `ten_benchdecision${run}${suffix}`,
      name: "decision benchmark",
      plan,
      status: "active",
      isolation: "shared",
      region: null,
      // A bucket of 1 that refills at 1/s: easy to empty, and it stays empty for up to a second.
      limits: effectiveLimits(plan, { requestsPerSecond: 1, burst: 1 }),
      features: planFeatures(plan),
      configVersion: 1,
    });
    const tenant = tenantOf("enterprise", "a"); // requestsPerDay: null
    const quotaTenant = tenantOf("pro", "b"); // requestsPerDay: 100000
    const apiKey = "tk_BenchDecisionKey1111111111111111111";
    const keyHash = await hashApiKey(apiKey);
    const authorization = `Bearer ${apiKey}`;
    const seedCaches = () => {
      keyRecordCache(env).set(keyHash, { keyId: "key_bench", tenantId: tenant.id, scopes: ["read", "write"], expiresAt: null, revoked: false });
      tenantContextCache(env).set(tenant.id, tenant);
    };

    /** Empties the real bucket until the limiter refuses with enough block left for a batch. */
    const block = async (id: string, limits: Limits) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const decision = await checkEdgeLimits(() => real, id, limits, keepDefer);
        if (decision.kind === "refused" && decision.retryAfterMs >= MIN_BLOCK_LEFT_MS) return;
        if (decision.kind === "backstop") throw new Error("Upstash (the local bridge) did not answer while blocking the tenant");
        if (decision.kind === "refused") await sleep(decision.retryAfterMs + 5);
      }
      throw new Error("could not block the tenant");
    };

    let fetches = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
      fetches++;
      return realFetch(...args);
    }) as typeof fetch;

    /** Timed batches; each starts with the block renewed and the isolate caches fresh (TTL 500 ms). */
    const batches = async (decide: () => Promise<boolean>, count: number) => {
      const batchNs: number[] = [];
      let wrong = 0;
      let networkCalls = 0;
      // Batches of ~50 ms: far inside both the block (≥ 300 ms left) and the isolate-cache TTL.
      let size = 200;
      for (let done = 0; done < count; ) {
        size = Math.min(size, count - done);
        await block(tenant.id, tenant.limits);
        seedCaches();
        const fetchesBefore = fetches;
        const started = process.hrtime.bigint();
        for (let i = 0; i < size; i++) if (!(await decide())) wrong++;
        const elapsed = Number(process.hrtime.bigint() - started);
        networkCalls += fetches - fetchesBefore;
        batchNs.push(elapsed / size);
        done += size;
        size = Math.max(100, Math.min(MAX_BATCH, Math.round(BATCH_NS / (elapsed / size))));
      }
      return { batchNs, wrong, networkCalls };
    };

    const measure = async (label: string, decide: () => Promise<boolean>, count: number): Promise<Measured> => {
      await batches(decide, Math.min(WARMUP, count)); // JIT, caches, Ratelimit objects
      const { batchNs, wrong, networkCalls } = await batches(decide, count);
      const mean = batchNs.reduce((sum, ns) => sum + ns, 0) / batchNs.length;
      ctx.log(`  ${label}: ${mean.toFixed(0)} ns/decision over ${count} (${wrong} wrong, ${networkCalls} network calls)`);
      return { nsPerDecision: mean, iterations: count, wrong, networkCalls, batchNs };
    };

    try {
      upstashBreaker.recordSuccess();
      const limitsOnly = await measure("limits", async () => (await checkEdgeLimits(() => unreachable, tenant.id, tenant.limits, noDefer)).kind === "refused", iterations);
      const resolveOnly = await measure("resolve", async () => (await resolveCaller(authorization, env, services, noDefer)).tenant.id === tenant.id, iterations);
      const both = await measure(
        "resolve + limits",
        async () => {
          const caller = await resolveCaller(authorization, env, services, noDefer);
          return (await checkEdgeLimits(() => unreachable, caller.tenant.id, caller.tenant.limits, noDefer)).kind === "refused";
        },
        iterations,
      );

      // A tenant with a daily quota, blocked by its bucket: does the decision stay in the isolate?
      await block(quotaTenant.id, quotaTenant.limits);
      const before = fetches;
      const offline = await checkEdgeLimits(() => unreachable, quotaTenant.id, quotaTenant.limits, keepDefer);
      const quotaNetworkCalls = fetches - before;
      upstashBreaker.recordSuccess(); // that failure must not open the breaker for what follows
      const onlineMs: number[] = [];
      for (let i = 0; i < 200; i++) {
        if (i % 50 === 0) await block(quotaTenant.id, quotaTenant.limits);
        const started = performance.now();
        const decision = await checkEdgeLimits(() => real, quotaTenant.id, quotaTenant.limits, keepDefer);
        onlineMs.push(performance.now() - started);
        if (decision.kind !== "refused") break;
      }
      const online = summarize(onlineMs);
      ctx.log(
        `  tenant with a daily quota, blocked by its bucket: ${quotaNetworkCalls} network call(s) per decision (offline it became "${offline.kind}"); ` +
          `against the local Upstash bridge p50 ${online.p50.toFixed(2)} ms`,
      );

      // The same loops inside workerd (bench/worker/decision-route.ts), timed from outside.
      const inWorkerd = await measureInWorkerd(ctx.stack.baseUrl, run, iterations, ctx.log);

      const correct = limitsOnly.wrong + resolveOnly.wrong + both.wrong + inWorkerd.limits.wrong + inWorkerd.resolve.wrong + inWorkerd.both.wrong === 0;
      const network = limitsOnly.networkCalls + resolveOnly.networkCalls + both.networkCalls;
      const spread = (m: Measured) => ({ min: round(Math.min(...m.batchNs)), max: round(Math.max(...m.batchNs)) });
      return {
        status: "ok",
        ...(correct && network === 0 ? {} : { note: `${network} network calls and wrong decisions in the timed loops: the figures are not in-isolate` }),
        loads: [],
        figures: [
          figure("decision_ns", "blocked tenant: resolve + limits, per decision", both.nsPerDecision, "ns", { op: "<=", value: 10_000 }),
          figure("decision_limits_ns", "blocked tenant: limits alone, per decision", limitsOnly.nsPerDecision, "ns", { op: "<=", value: 10_000 }),
          figure("decision_resolve_ns", "isolate-cache tenant resolution alone", resolveOnly.nsPerDecision, "ns"),
          figure("decision_workerd_ns", "in workerd: resolve + limits, per decision", inWorkerd.both.nsPerDecision, "ns", { op: "<=", value: 10_000 }),
          figure("decision_workerd_limits_ns", "in workerd: limits alone, per decision", inWorkerd.limits.nsPerDecision, "ns", { op: "<=", value: 10_000 }),
          figure("decision_network_calls", "network calls in the timed decisions", network + inWorkerd.networkCalls, "calls", { op: "<=", value: 0 }),
          figure("decision_quota_network_calls", "daily-quota tenant blocked by its bucket: network calls per decision", quotaNetworkCalls, "calls", undefined, {
            note: "design says known-blocked tenants are refused from the ephemeral cache; with a daily quota the quota script still goes to Upstash",
          }),
        ],
        details: {
          runtime: `node ${process.version}`,
          iterations,
          batchTargetMs: BATCH_NS / 1e6,
          limits: { ...limitsOnly, batchNs: spread(limitsOnly) },
          resolve: { ...resolveOnly, batchNs: spread(resolveOnly) },
          resolveAndLimits: { ...both, batchNs: spread(both) },
          workerd: inWorkerd,
          dailyQuotaTenant: {
            networkCallsPerDecision: quotaNetworkCalls,
            offlineDecision: offline.kind,
            againstLocalBridgeMs: { p50: round(online.p50), p99: round(online.p99), count: online.count },
          },
        },
      };
    } finally {
      globalThis.fetch = realFetch;
      upstashBreaker.recordSuccess();
    }
  },
};

interface WorkerdAnswer {
  iterations: number;
  wrong: number;
  networkCalls: number;
  loopMs: number;
  batches: number;
}

/** The same loops inside workerd: the route times its own batches (see bench/worker/decision-route.ts). */
async function measureInWorkerd(baseUrl: string, run: string, iterations: number, log: (line: string) => void) {
  const call = async (variant: string, n: number) => {
    const response = await fetch(`${baseUrl}/bench/decision?variant=${variant}&iterations=${n}&tenant=${run}`, { signal: AbortSignal.timeout(300_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`/bench/decision?variant=${variant}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as WorkerdAnswer;
  };
  const result: Record<string, { nsPerDecision: number; iterations: number; wrong: number; networkCalls: number }> = {};
  let networkCalls = 0;
  for (const variant of ["limits", "resolve", "both"]) {
    await call(variant, Math.min(WARMUP, iterations)); // JIT, caches
    const answer = await call(variant, iterations);
    networkCalls += answer.networkCalls;
    const nsPerDecision = (answer.loopMs * 1e6) / answer.iterations;
    result[variant] = { nsPerDecision, iterations: answer.iterations, wrong: answer.wrong, networkCalls: answer.networkCalls };
    log(`  in workerd, ${variant}: ${nsPerDecision.toFixed(0)} ns/decision over ${answer.iterations} (${answer.wrong} wrong, ${answer.networkCalls} network calls)`);
  }
  return { limits: result.limits!, resolve: result.resolve!, both: result.both!, networkCalls };
}
