import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis/cloudflare";
import { upstashBreaker } from "../cache/circuit-breaker.ts";
import type { Limits } from "../core/plans.ts";
import { KEY_PREFIX } from "../cache/tenant-keys.ts";
import { BlockCache } from "./block-cache.ts";
import { ReservationBook, type Reservation, type UpstashRemainders } from "./token-reservation.ts";

/** Past this, Upstash counts as down for this request and the runtime object's bucket decides. */
export const LIMIT_TIMEOUT_MS = 500;

/**
 * Ephemeral caches (identifier → blocked-until), one per limit configuration and kept for the
 * isolate's life: a blocked tenant is refused without a round trip, and a changed limit starts
 * with a clean cache instead of inheriting a block made under the old one.
 */
const ephemeralCaches = new Map<string, BlockCache>();
/** Limit configurations with a cache of their own (plans, and tenants' overrides): beyond, the least recent goes. */
const MAX_CONFIGS = 1000;

function cacheFor(config: string): BlockCache {
  let cache = ephemeralCaches.get(config);
  if (!cache) {
    cache = new BlockCache();
    ephemeralCaches.set(config, cache);
    if (ephemeralCaches.size > MAX_CONFIGS) ephemeralCaches.delete(ephemeralCaches.keys().next().value!);
  }
  return cache;
}

/**
 * What the isolate's caches and reservations are keyed by: a limit's configuration (a changed limit
 * starts afresh), and the tenant's identifiers as @upstash/ratelimit names them in its ephemeral cache.
 */
const bucketConfigOf = (limits: Limits) => `bucket:${limits.requestsPerSecond}:${limits.burst}`;
const dailyConfigOf = (limits: Limits) => `daily:${limits.requestsPerDay}`;
const reservationConfigOf = (limits: Limits) => `${bucketConfigOf(limits)}:${dailyConfigOf(limits)}`;
const bucketIdOf = (tenantId: string) => `${tenantId}:bucket`;
const dailyIdOf = (tenantId: string) => `${tenantId}:daily`;
const LIMITER_PREFIX = `${KEY_PREFIX}:tenant`;
const cachedBlockKey = (id: string) => `${LIMITER_PREFIX}:${id}`;

function limiter(redis: Redis, config: string, algorithm: ReturnType<typeof Ratelimit.tokenBucket>) {
  return new Ratelimit({
    redis,
    limiter: algorithm,
    prefix: LIMITER_PREFIX,
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
 * Upstash did not answer (or the breaker keeps it from being asked): the runtime object's bucket
 * decides, unless Upstash's answers in this isolate showed the day's quota used up (the lowest
 * remainder heard today), counting what the backstop admitted since. Without that, a tenant at its quota whose checks time out
 * under load would be let in past it.
 */
function withoutUpstash(tenantId: string, limits: Limits): LimitDecision {
  const now = Date.now();
  const seen = quotaSeen.get(tenantId);
  const known = seen && seen.day === dayOf(now) ? seen.remaining : null;
  const owed = quotaOwed.get(tenantId);
  const spentSince = owed && owed.day === dayOf(now) ? owed.units : 0;
  if (limits.requestsPerDay !== null && known !== null && known - spentSince <= 0) {
    const resetMs = (dayOf(now) + 1) * 86_400_000 - now;
    const state: LimitState = { ...unknownState(limits), daily: { limit: limits.requestsPerDay, remaining: 0, resetMs } };
    return { kind: "refused", code: "quota_exceeded", retryAfterMs: Math.max(1000, resetMs), state };
  }
  return { kind: "backstop", state: unknownState(limits) };
}

/** Per isolate: the lowest day-quota remainder Upstash reported for each tenant today. */
const quotaSeen = new Map<string, { remaining: number; day: number }>();

function noteQuotaSeen(tenantId: string, remaining: number, now: number): void {
  const day = dayOf(now);
  const seen = quotaSeen.get(tenantId);
  const lowest = seen && seen.day === day ? Math.min(seen.remaining, remaining) : remaining;
  quotaSeen.delete(tenantId);
  quotaSeen.set(tenantId, { remaining: Math.max(0, lowest), day });
  if (quotaSeen.size > MAX_TENANTS_OWING) quotaSeen.delete(quotaSeen.keys().next().value!);
}

/** Per isolate: tokens taken ahead for tenants far from their limits (see token-reservation.ts). */
const reservations = new ReservationBook();

/** Per isolate: quota units of requests admitted while Upstash was away, by tenant and UTC day. */
const quotaOwed = new Map<string, { units: number; day: number }>();
const MAX_TENANTS_OWING = 10_000;
const dayOf = (epochMs: number) => Math.floor(epochMs / 86_400_000);

/**
 * A request admitted by the runtime object's backstop (Upstash did not answer) still counts
 * against the day's quota: charged on the tenant's next round trip from this isolate, if that is
 * the same UTC day, in the same round trip as its limit check (owed again if that fails). Best
 * effort: lost if the isolate goes away first.
 */
export function oweQuota(tenantId: string, limits: Limits, units = 1): void {
  if (limits.requestsPerDay === null) return;
  const day = dayOf(Date.now());
  const owed = quotaOwed.get(tenantId);
  quotaOwed.set(tenantId, { units: owed && owed.day === day ? owed.units + units : units, day });
  if (quotaOwed.size > MAX_TENANTS_OWING) quotaOwed.delete(quotaOwed.keys().next().value!);
}

function takeOwedQuota(tenantId: string): number {
  const owed = quotaOwed.get(tenantId);
  if (!owed) return 0;
  quotaOwed.delete(tenantId);
  return owed.day === dayOf(Date.now()) ? owed.units : 0;
}

/**
 * The tenant's token bucket (requestsPerSecond refill, burst capacity) and daily quota, checked
 * together: both scripts travel in one round trip (a Redis handle batches a tick's commands). A tenant far from both
 * limits takes a few tokens (and quota units) in that round trip and spends them on its next
 * requests in this isolate without asking again; when those run low, a request that spends one
 * starts a refill off its own path (`defer`), so at a steady pace no request waits for Upstash.
 * A request the bucket refuses gives its quota unit back, so the quota counts admitted requests only.
 */
export async function checkEdgeLimits(
  /** The request's client, asked for only when a round trip is due (most requests make none). */
  redis: () => Redis,
  tenantId: string,
  limits: Limits,
  defer: (p: Promise<unknown>) => void,
  /** The client refills use (its trips count as taken ahead); the request's own by default. */
  aheadRedis: () => Redis = redis,
): Promise<LimitDecision> {
  if (upstashBreaker.isOpen) return withoutUpstash(tenantId, limits);

  const bucketConfig = bucketConfigOf(limits);
  const config = reservationConfigOf(limits);
  // A request refused later (scope, status) gives its quota unit back: to this isolate's
  // reservation when one is held, else to Upstash.
  const refundDaily = () =>
    reservations.giveBack(tenantId, config, Date.now()) ? Promise.resolve() : limitersFor(redis(), tenantId, limits, bucketConfig).countDaily(-1);
  // Tokens Upstash already handed this isolate are spent first, even while the bucket is empty.
  const held = reservations.usable(tenantId, config, Date.now());
  if (held) {
    const decision = spendReserved(held, limits, refundDaily);
    const refill = reservations.startRefill(tenantId, config, limits, Date.now());
    if (refill > 0) defer(refillReservation(limitersFor(aheadRedis(), tenantId, limits, bucketConfig), tenantId, config, refill));
    return decision;
  }
  // A bucket or a day's quota this isolate knows is used up decides alone: no round trip.
  const known = knownRefusal(tenantId, limits);
  if (known) return known;

  const limiters = limitersFor(redis(), tenantId, limits, bucketConfig);
  const { size, unspentDaily } = reservations.plan(tenantId, config, limits, Date.now());
  // Issued in the same tick as the ask, so they travel in one round trip with it.
  if (unspentDaily > 0) defer(limiters.countDaily(-unspentDaily));
  const owed = takeOwedQuota(tenantId);
  if (owed > 0) defer(limiters.countDaily(owed));
  const answer = await askWithFallback(limiters, size, defer);
  if (answer === "unreachable" || answer === "short") {
    // The charge travelled in the same (failed) round trip: the units are still owed.
    if (owed > 0) oweQuota(tenantId, limits, owed);
    upstashBreaker.recordFailure();
    const decision = withoutUpstash(tenantId, limits);
    // Refused on what this isolate heard before: a check that timed out was most likely counted
    // all the same (Upstash slow, not gone), so its unit goes back; near the quota asks are of one.
    if (decision.kind === "refused" && answer === "unreachable" && size === 1) defer(limiters.countDaily(-1));
    return decision;
  }
  upstashBreaker.recordSuccess();

  const { bucket, daily, size: taken } = answer;
  const now = Date.now();
  const extra = bucket.success && (!daily || daily.success) ? taken - 1 : 0;
  reservations.record(tenantId, remainders(config, bucket, daily), taken, extra, now);

  if (daily) noteQuotaSeen(tenantId, daily.remaining, now);
  // This admission took the bucket's last token: it stays empty until its next refill step, so the
  // tenant's next requests here are refused without asking Upstash again (a flood's refusals make
  // no round trip). Tokens this isolate holds ahead are spent before the block is looked at.
  if (bucket.success && bucket.remaining <= 0 && bucket.reset > now) cacheFor(bucketConfig).set(cachedBlockKey(bucketIdOf(tenantId)), bucket.reset);

  // What this isolate holds beyond Upstash's remainder: the live reservation (this answer's extra,
  // and a refill that landed meanwhile) and a refill still in flight (taken before this ask).
  const admittedNow = bucket.success && (!daily || daily.success);
  const holding = admittedNow ? reservations.held(tenantId, config, now) : { tokens: 0, dailyUnits: 0 };
  const inFlight = admittedNow ? reservations.refilling(tenantId) : 0;
  const state: LimitState = {
    burst: { limit: limits.burst, remaining: Math.max(0, bucket.remaining) + holding.tokens + inFlight, resetMs: Math.max(0, bucket.reset - now), window: BUCKET_WINDOW_SECONDS },
    daily: daily ? { limit: daily.limit, remaining: Math.max(0, daily.remaining) + holding.dailyUnits + inFlight, resetMs: Math.max(0, daily.reset - now) } : null,
  };
  if (daily && !daily.success) {
    return { kind: "refused", code: "quota_exceeded", retryAfterMs: Math.max(1000, daily.reset - now), state };
  }
  if (!bucket.success) {
    if (daily) defer(limiters.countDaily(-1));
    return { kind: "refused", code: "rate_limited", retryAfterMs: Math.max(1, bucket.reset - now), state };
  }
  return { kind: "allowed", state, refundDaily };
}

/**
 * The refusal this isolate can give the tenant's next request on what it already knows, with no
 * round trip and before anything else is looked up: its bucket is empty and it holds none of its
 * tokens (until the bucket's next refill step, at most 1 s away), or its day's quota is used up
 * (until the UTC day ends). Undefined when Upstash has to be asked.
 */
export function knownRefusal(tenantId: string, limits: Limits, now = Date.now()): Extract<LimitDecision, { kind: "refused" }> | undefined {
  if (reservations.usable(tenantId, reservationConfigOf(limits), now)) return undefined;
  const blockedUntil = cacheFor(bucketConfigOf(limits)).get(cachedBlockKey(bucketIdOf(tenantId)));
  if (blockedUntil !== undefined && blockedUntil > now) {
    const state: LimitState = { burst: { limit: limits.burst, remaining: 0, resetMs: blockedUntil - now, window: BUCKET_WINDOW_SECONDS }, daily: null };
    return { kind: "refused", code: "rate_limited", retryAfterMs: Math.max(1, blockedUntil - now), state };
  }
  if (limits.requestsPerDay === null) return undefined;
  const quotaBlockedUntil = cacheFor(dailyConfigOf(limits)).get(cachedBlockKey(dailyIdOf(tenantId)));
  if (quotaBlockedUntil === undefined || quotaBlockedUntil <= now) return undefined;
  const resetMs = quotaBlockedUntil - now;
  // The bucket was not asked (nothing is taken from it): what binds is the quota.
  const state: LimitState = {
    burst: { limit: limits.burst, remaining: limits.burst, resetMs: 0, window: BUCKET_WINDOW_SECONDS },
    daily: { limit: limits.requestsPerDay, remaining: 0, resetMs },
  };
  return { kind: "refused", code: "quota_exceeded", retryAfterMs: Math.max(1000, resetMs), state };
}

type LimitResult = Awaited<ReturnType<Ratelimit["limit"]>>;

interface TenantLimiters {
  limit(size: number): Promise<[LimitResult, LimitResult | undefined]>;
  /** Adds units to the day's quota count (negative: gives them back); best effort, never retried. */
  countDaily(units: number): Promise<unknown>;
  /** Gives back what a refused multi-token ask took (the quota counted it) and lifts the blocks it cached. */
  undo(size: number): Promise<unknown>;
}

function limitersFor(redis: Redis, tenantId: string, limits: Limits, bucketConfig: string): TenantLimiters {
  const step = refillStep(limits.requestsPerSecond);
  const bucket = limiter(redis, bucketConfig, Ratelimit.tokenBucket(step.tokens, `${step.intervalMs} ms`, limits.burst));
  const dailyConfig = dailyConfigOf(limits);
  const daily = limits.requestsPerDay === null ? null : limiter(redis, dailyConfig, Ratelimit.fixedWindow(limits.requestsPerDay, "1 d"));
  const bucketId = bucketIdOf(tenantId);
  const dailyId = dailyIdOf(tenantId);
  const countDaily = (units: number) => (daily ? daily.limit(dailyId, { rate: units }).catch(() => undefined) : Promise.resolve());
  return {
    limit: async (size) => {
      const results = await Promise.all([bucket.limit(bucketId, { rate: size }), ...(daily ? [daily.limit(dailyId, { rate: size })] : [])]);
      return [results[0]!, results[1]];
    },
    countDaily,
    undo: async (size) => {
      cacheFor(bucketConfig).delete(cachedBlockKey(bucketId));
      cacheFor(dailyConfig).delete(cachedBlockKey(dailyId));
      await countDaily(-size);
    },
  };
}

/** Asks for `size` tokens; when the last answer promised more than was left (another isolate spent it), one. */
async function askWithFallback(limiters: TenantLimiters, size: number, defer: (p: Promise<unknown>) => void): Promise<UpstashAnswer> {
  const answer = await askUpstash(limiters, size, defer);
  if (answer !== "short") return answer;
  await limiters.undo(size);
  return askUpstash(limiters, 1, defer);
}

/** What Upstash said is left, as the isolate's reservation book keeps it. */
function remainders(config: UpstashRemainders["config"], bucket: LimitResult, daily: LimitResult | undefined): UpstashRemainders {
  return {
    config,
    bucketRemaining: Math.max(0, bucket.remaining),
    bucketResetAt: bucket.reset,
    dailyRemaining: daily ? Math.max(0, daily.remaining) : null,
    dailyResetAt: daily ? daily.reset : null,
  };
}

type UpstashAnswer = { bucket: LimitResult; daily: LimitResult | undefined; size: number } | "short" | "unreachable";

async function askUpstash(limiters: TenantLimiters, size: number, defer: (p: Promise<unknown>) => void): Promise<UpstashAnswer> {
  let bucket: LimitResult;
  let daily: LimitResult | undefined;
  try {
    [bucket, daily] = await limiters.limit(size);
  } catch {
    return "unreachable";
  }
  defer(bucket.pending);
  if (daily) defer(daily.pending);
  if (bucket.reason === "timeout" || daily?.reason === "timeout") return "unreachable";
  if (size > 1 && (!bucket.success || (daily && !daily.success))) return "short";
  return { bucket, daily, size };
}

/**
 * Takes `size` tokens (and quota units) for the tenant's next requests in this isolate, off any
 * request's path: nothing awaits it but `waitUntil`. A refusal gives back what it took and leaves
 * the next request to ask for itself; an outage counts toward the breaker like any failed check.
 */
async function refillReservation(limiters: TenantLimiters, tenantId: string, config: string, size: number): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  try {
    const answer = await askUpstash(limiters, size, (promise) => pending.push(promise));
    if (answer === "unreachable") {
      upstashBreaker.recordFailure();
      reservations.refillFailed(tenantId, false);
      return;
    }
    upstashBreaker.recordSuccess();
    if (answer === "short") {
      reservations.refillFailed(tenantId, true);
      await limiters.undo(size);
      return;
    }
    const { bucket, daily } = answer;
    reservations.refilled(tenantId, remainders(config, bucket, daily), size, Date.now());
  } catch {
    reservations.refillFailed(tenantId, false);
  } finally {
    await Promise.allSettled(pending);
  }
}

/** One of the tokens (and quota units) this isolate already holds for the tenant. */
function spendReserved(held: Reservation, limits: Limits, refundDaily: () => Promise<unknown>): LimitDecision {
  held.tokens--;
  if (held.dailyUnits !== null) held.dailyUnits--;
  const now = Date.now();
  const state: LimitState = {
    burst: { limit: limits.burst, remaining: held.bucketRemaining + held.tokens, resetMs: Math.max(0, held.bucketResetAt - now), window: BUCKET_WINDOW_SECONDS },
    daily:
      held.dailyRemaining === null || held.dailyUnits === null
        ? null
        : { limit: limits.requestsPerDay ?? 0, remaining: held.dailyRemaining + held.dailyUnits, resetMs: Math.max(0, (held.dailyResetAt ?? now) - now) },
  };
  return { kind: "allowed", state, refundDaily };
}
