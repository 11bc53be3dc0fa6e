import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis/cloudflare";
import { upstashBreaker } from "../cache/circuit-breaker.ts";
import type { Limits } from "../plans/catalog.ts";
import { KEY_PREFIX } from "../tenancy/cache-keys.ts";

/** Past this, Upstash counts as down for this request and the runtime object's bucket decides. */
export const LIMIT_TIMEOUT_MS = 500;

/**
 * Ephemeral caches (identifier → blocked-until), one per limit configuration and kept for the
 * isolate's life: a blocked tenant is refused without a round trip, and a changed limit starts
 * with a clean cache instead of inheriting a block made under the old one.
 */
const ephemeralCaches = new Map<string, Map<string, number>>();

function cacheFor(config: string): Map<string, number> {
  let cache = ephemeralCaches.get(config);
  if (!cache) {
    cache = new Map();
    ephemeralCaches.set(config, cache);
  }
  return cache;
}

function limiter(redis: Redis, config: string, algorithm: ReturnType<typeof Ratelimit.tokenBucket>) {
  return new Ratelimit({
    redis,
    limiter: algorithm,
    prefix: `${KEY_PREFIX}:tenant`,
    ephemeralCache: cacheFor(config),
    timeout: LIMIT_TIMEOUT_MS,
    analytics: false,
  });
}

export interface LimitState {
  burst: { limit: number; remaining: number; resetMs: number; window: number };
  daily: { limit: number; remaining: number; resetMs: number } | null;
}

export type LimitDecision =
  | { kind: "allowed"; state: LimitState; refundDaily: () => Promise<unknown> }
  | { kind: "refused"; code: "rate_limited" | "quota_exceeded"; retryAfterMs: number; state: LimitState }
  /** Upstash did not answer: the runtime object applies its own bucket; no quota is counted. */
  | { kind: "backstop"; state: LimitState };

/** The bucket refills every second: that is the policy's window. */
const BUCKET_WINDOW_SECONDS = 1;

/**
 * @upstash/ratelimit refills a token bucket in steps. One step of `requestsPerSecond` tokens a
 * second would let a flooding tenant in as one burst per second, a CPU spike its neighbours feel;
 * the shortest step (down to 100 ms) that still refills whole tokens spreads admissions evenly.
 */
export function refillStep(requestsPerSecond: number): { tokens: number; intervalMs: number } {
  for (const intervalMs of [100, 200, 250, 500]) {
    const tokens = (requestsPerSecond * intervalMs) / 1000;
    if (Number.isInteger(tokens) && tokens >= 1) return { tokens, intervalMs };
  }
  return { tokens: requestsPerSecond, intervalMs: 1000 };
}

/** Upstash did not answer: the bucket is the runtime object's business, the quota is unknown. */
function unknownState(limits: Limits): LimitState {
  return { burst: { limit: limits.burst, remaining: limits.burst, resetMs: 1000, window: BUCKET_WINDOW_SECONDS }, daily: null };
}

/**
 * The tenant's token bucket (requestsPerSecond refill, burst capacity) and daily quota, checked
 * together: @upstash/redis auto-pipelines both scripts into one round trip. A request the bucket
 * refuses gives its quota unit back, so the quota counts admitted requests only.
 */
export async function checkEdgeLimits(redis: Redis, tenantId: string, limits: Limits, defer: (p: Promise<unknown>) => void): Promise<LimitDecision> {
  if (upstashBreaker.isOpen) return { kind: "backstop", state: unknownState(limits) };

  const bucketConfig = `bucket:${limits.requestsPerSecond}:${limits.burst}`;
  const bucketId = `${tenantId}:bucket`;
  // A bucket the ephemeral cache knows is empty decides alone: the quota is not even asked.
  const blockedUntil = cacheFor(bucketConfig).get(`${KEY_PREFIX}:tenant:${bucketId}`);
  if (blockedUntil !== undefined && blockedUntil > Date.now()) {
    const state: LimitState = { burst: { limit: limits.burst, remaining: 0, resetMs: blockedUntil - Date.now(), window: BUCKET_WINDOW_SECONDS }, daily: null };
    return { kind: "refused", code: "rate_limited", retryAfterMs: Math.max(1, blockedUntil - Date.now()), state };
  }
  const step = refillStep(limits.requestsPerSecond);
  const bucket = limiter(redis, bucketConfig, Ratelimit.tokenBucket(step.tokens, `${step.intervalMs} ms`, limits.burst));
  const daily = limits.requestsPerDay === null ? null : limiter(redis, `daily:${limits.requestsPerDay}`, Ratelimit.fixedWindow(limits.requestsPerDay, "1 d"));
  const dailyId = `${tenantId}:daily`;

  let results: Awaited<ReturnType<Ratelimit["limit"]>>[];
  try {
    results = await Promise.all([bucket.limit(bucketId), ...(daily ? [daily.limit(dailyId)] : [])]);
  } catch {
    upstashBreaker.recordFailure();
    return { kind: "backstop", state: unknownState(limits) };
  }
  const [bucketResult, dailyResult] = results as [(typeof results)[0], (typeof results)[0] | undefined];
  for (const result of results) defer(result.pending);
  if (bucketResult.reason === "timeout" || dailyResult?.reason === "timeout") {
    upstashBreaker.recordFailure();
    return { kind: "backstop", state: unknownState(limits) };
  }
  upstashBreaker.recordSuccess();

  const now = Date.now();
  const state: LimitState = {
    burst: {
      limit: limits.burst,
      remaining: Math.max(0, bucketResult.remaining),
      resetMs: Math.max(0, bucketResult.reset - now),
      window: BUCKET_WINDOW_SECONDS,
    },
    daily: dailyResult ? { limit: dailyResult.limit, remaining: Math.max(0, dailyResult.remaining), resetMs: Math.max(0, dailyResult.reset - now) } : null,
  };
  const refundDaily = () => (daily && dailyResult?.success ? daily.limit(dailyId, { rate: -1 }).catch(() => undefined) : Promise.resolve());

  if (dailyResult && !dailyResult.success) {
    return { kind: "refused", code: "quota_exceeded", retryAfterMs: Math.max(1000, dailyResult.reset - now), state };
  }
  if (!bucketResult.success) {
    defer(refundDaily());
    return { kind: "refused", code: "rate_limited", retryAfterMs: Math.max(1, bucketResult.reset - now), state };
  }
  return { kind: "allowed", state, refundDaily };
}
