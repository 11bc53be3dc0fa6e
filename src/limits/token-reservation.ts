import type { Limits } from "../core/plans.ts";

/**
 * Tokens (and daily-quota units) an isolate took from Upstash in one round trip and spends on the
 * tenant's next requests without asking again. Taken only while the tenant is far from both limits,
 * so a tenant near a limit is still checked request by request, and the global counts stay exact
 * upper bounds: every admitted request spent a token Upstash handed out.
 */
export interface Reservation {
  /** The limit configuration the tokens were taken under: a changed limit does not inherit them. */
  readonly config: string;
  /** Tokens taken by the last round trip (including the one its request spent). */
  readonly size: number;
  /** Tokens taken over the reservation's life (its round trips and refills while it stayed live). */
  readonly taken: number;
  tokens: number;
  /** Quota units still held; null when the tenant has no daily quota. */
  dailyUnits: number | null;
  readonly takenAt: number;
  /** What Upstash last said was left beyond this reservation (for the RateLimit header). */
  bucketRemaining: number;
  bucketResetAt: number;
  dailyRemaining: number | null;
  dailyResetAt: number | null;
}

export type UpstashRemainders = Pick<Reservation, "config" | "bucketRemaining" | "bucketResetAt" | "dailyRemaining" | "dailyResetAt">;

/** Held tokens are spent within this time or given up: admissions stay close to when they were counted. */
export const RESERVATION_TTL_MS = 1000;
/** A refill that has not answered in this time is given up on (Upstash's own timeout is 500 ms). */
const REFILL_PATIENCE_MS = 2000;
const MAX_RESERVATION = 10;
/** Reserve only while the bucket holds at least this many reservations' worth... */
const BUCKET_HEADROOM = 2;
/** ...and the day's quota at least this many. */
const DAILY_HEADROOM = 50;
/** Bounds the isolate's memory: past this many tenants, the oldest reservations are dropped. */
const MAX_TRACKED_TENANTS = 10_000;

/** A tenant whose burst holds this many takes at least two tokens: one for the request, one ahead. */
const TWO_AHEAD_BURST = 20;

/**
 * The most tokens one round trip takes for this tenant: a tenth of a second of its refill and a
 * twentieth of its burst, at most 10, and two once the burst holds twenty. Blocks of one are never
 * refilled ahead, so with them a steady free-plan tenant (10 req/s, burst 20) waited for Upstash on
 * every request; with two, one is held for its next request and refilled off the request's path.
 */
export function reservationSize(limits: Limits): number {
  const size = Math.min(Math.floor(limits.requestsPerSecond / 10), Math.floor(limits.burst / 20), MAX_RESERVATION);
  return Math.max(limits.burst >= TWO_AHEAD_BURST ? 2 : 1, size);
}

/** The per-isolate reservations, by tenant. Also remembers the last remainders Upstash reported. */
export class ReservationBook {
  private readonly byTenant = new Map<string, Reservation>();
  private readonly refills = new Map<string, { since: number; size: number }>();

  /** The tenant's live reservation under this configuration, if it still holds a token and a unit. */
  usable(tenantId: string, config: string, now: number): Reservation | undefined {
    const held = this.live(tenantId, config, now);
    if (!held || held.tokens < 1 || (held.dailyUnits !== null && held.dailyUnits < 1)) return undefined;
    return held;
  }

  /**
   * The next round trip: how many tokens to ask for, and the quota units of an expired reservation
   * to give back in the same round trip. The size follows what this isolate actually spends: it
   * doubles while reservations run out within their second, falls back to what was spent over the
   * reservation's life when one expires, and is one near a limit (the last answer left little in the bucket or the quota).
   * Requests that ask at the same time each ask for themselves: in Workers a request must not
   * await another request's I/O, and a short answer falls back to one token anyway.
   */
  plan(tenantId: string, config: string, limits: Limits, now: number): { size: number; unspentDaily: number } {
    const last = this.byTenant.get(tenantId);
    if (!last || last.config !== config) return { size: 1, unspentDaily: 0 };
    const expired = now - last.takenAt >= RESERVATION_TTL_MS;
    let unspentDaily = 0;
    if (expired && last.dailyUnits !== null && sameDay(last.takenAt, now)) {
      unspentDaily = last.dailyUnits;
      last.dailyUnits = 0;
    }
    // Expired: as many as the isolate spent while it held the reservation (refills included).
    const wanted = expired ? last.taken - last.tokens : last.size * 2;
    const size = Math.max(1, Math.min(wanted, reservationSize(limits)));
    return { size: farFromLimits(last, limits, size) ? size : 1, unspentDaily };
  }

  /** Records an answer from Upstash that took `size` tokens; `extra` of them (and as many units) are held. */
  record(tenantId: string, answer: UpstashRemainders, size: number, extra: number, now: number): void {
    const live = this.live(tenantId, answer.config, now);
    const next: Reservation = {
      ...answer,
      size,
      taken: (live?.taken ?? 0) + size,
      tokens: (live?.tokens ?? 0) + extra,
      dailyUnits: answer.dailyRemaining === null ? null : (live?.dailyUnits ?? 0) + extra,
      takenAt: now,
    };
    this.byTenant.delete(tenantId);
    this.byTenant.set(tenantId, next);
    if (this.byTenant.size > MAX_TRACKED_TENANTS) this.byTenant.delete(this.byTenant.keys().next().value!);
  }

  /**
   * Tokens to take ahead now, off the request path (0: none): as soon as the live reservation holds
   * less than one block, no refill is in flight and the tenant is still far from its limits, one
   * block is asked for, so it lands while the isolate still has up to a block to spend. An isolate
   * therefore holds at most two blocks less one. The block doubles when the reservation ran low
   * within half its life (the isolate spends faster than it refills), up to `reservationSize`.
   */
  startRefill(tenantId: string, config: string, limits: Limits, now: number): number {
    const held = this.live(tenantId, config, now);
    if (!held || held.tokens >= held.size) return 0;
    const inFlight = this.refills.get(tenantId);
    if (inFlight && now - inFlight.since < REFILL_PATIENCE_MS) return 0;
    const fast = now - held.takenAt < RESERVATION_TTL_MS / 2;
    const size = Math.min(fast ? held.size * 2 : held.size, reservationSize(limits));
    if (size < 2 || !farFromLimits(held, limits, size)) return 0;
    this.refills.set(tenantId, { since: now, size });
    if (this.refills.size > MAX_TRACKED_TENANTS) this.refills.delete(this.refills.keys().next().value!);
    return size;
  }

  /**
   * Tokens a refill in flight has (most likely) taken from Upstash already: an answer to a request
   * that asked meanwhile does not show them as held yet, so its `RateLimit` header adds them.
   */
  refilling(tenantId: string): number {
    return this.refills.get(tenantId)?.size ?? 0;
  }

  /** A refill came back with `size` tokens and as many quota units, none spent yet. */
  refilled(tenantId: string, answer: UpstashRemainders, size: number, now: number): void {
    this.refills.delete(tenantId);
    // A request may have asked (and been answered) while the refill was in flight, its answer
    // taken after the refill's: within one day window, the smaller quota remainder is the later one.
    const live = this.live(tenantId, answer.config, now);
    const sameWindow = live?.dailyRemaining != null && answer.dailyRemaining !== null && live.dailyResetAt === answer.dailyResetAt;
    this.record(tenantId, sameWindow ? { ...answer, dailyRemaining: Math.min(live.dailyRemaining!, answer.dailyRemaining!) } : answer, size, size, now);
  }

  /** A refill failed or was refused: the next request asks for itself, one token if the answer said the tenant is near a limit. */
  refillFailed(tenantId: string, nearLimit: boolean): void {
    this.refills.delete(tenantId);
    const held = this.byTenant.get(tenantId);
    if (held && nearLimit) held.bucketRemaining = 0;
  }

  /** Tokens and quota units the tenant's live reservation holds (zeros when none). */
  held(tenantId: string, config: string, now: number): { tokens: number; dailyUnits: number } {
    const live = this.live(tenantId, config, now);
    return { tokens: live?.tokens ?? 0, dailyUnits: live?.dailyUnits ?? 0 };
  }

  /** A quota unit back into the tenant's live reservation; false when none is held (give it to Upstash). */
  giveBack(tenantId: string, config: string, now: number): boolean {
    const held = this.live(tenantId, config, now);
    if (!held || held.dailyUnits === null) return false;
    held.dailyUnits++;
    return true;
  }

  private live(tenantId: string, config: string, now: number): Reservation | undefined {
    const held = this.byTenant.get(tenantId);
    return held && held.config === config && now - held.takenAt < RESERVATION_TTL_MS ? held : undefined;
  }
}

/** Upstash's last answer left room for at least `BUCKET_HEADROOM` such reservations, and `DAILY_HEADROOM` in the quota. */
function farFromLimits(last: Reservation, limits: Limits, size: number): boolean {
  if (last.bucketRemaining < BUCKET_HEADROOM * size) return false;
  return limits.requestsPerDay === null || (last.dailyRemaining !== null && last.dailyRemaining >= DAILY_HEADROOM * size);
}

const DAY_MS = 86_400_000;
const sameDay = (a: number, b: number) => Math.floor(a / DAY_MS) === Math.floor(b / DAY_MS);
