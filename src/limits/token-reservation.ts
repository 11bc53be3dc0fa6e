import type { Limits } from "../plans/catalog.ts";

/**
 * Tokens (and daily-quota units) an isolate took from Upstash in one round trip and spends on the
 * tenant's next requests without asking again. Taken only while the tenant is far from both limits,
 * so a tenant near a limit is still checked request by request, and the global counts stay exact
 * upper bounds: every admitted request spent a token Upstash handed out.
 */
export interface Reservation {
  /** The limit configuration the tokens were taken under: a changed limit does not inherit them. */
  readonly config: string;
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

/** Held tokens are spent within this time or given up: admissions stay close to when they were counted. */
export const RESERVATION_TTL_MS = 1000;
const MAX_RESERVATION = 10;
/** Reserve only while the bucket holds at least this many reservations' worth... */
const BUCKET_HEADROOM = 2;
/** ...and the day's quota at least this many. */
const DAILY_HEADROOM = 50;
/** Bounds the isolate's memory: past this many tenants, the oldest reservations are dropped. */
const MAX_TRACKED_TENANTS = 10_000;

/**
 * How many tokens one round trip takes for this tenant: a tenth of a second of its refill and a
 * twentieth of its burst, at most 10. Free-plan tenants (10 req/s, burst 20) take one at a time.
 */
export function reservationSize(limits: Limits): number {
  const size = Math.min(Math.floor(limits.requestsPerSecond / 10), Math.floor(limits.burst / 20), MAX_RESERVATION);
  return Math.max(1, size);
}

/** The per-isolate reservations, by tenant. Also remembers the last remainders Upstash reported. */
export class ReservationBook {
  private readonly byTenant = new Map<string, Reservation>();

  /** The tenant's live reservation under this configuration, if it still holds a token and a unit. */
  usable(tenantId: string, config: string, now: number): Reservation | undefined {
    const held = this.byTenant.get(tenantId);
    if (!held || held.config !== config || now - held.takenAt >= RESERVATION_TTL_MS) return undefined;
    if (held.tokens < 1 || (held.dailyUnits !== null && held.dailyUnits < 1)) return undefined;
    return held;
  }

  /**
   * How many tokens to ask Upstash for now: the full size only when the last answer (under this
   * configuration) left plenty in the bucket and in the day's quota; otherwise one.
   */
  sizeFor(tenantId: string, config: string, limits: Limits): number {
    const size = reservationSize(limits);
    const last = this.byTenant.get(tenantId);
    if (size === 1 || !last || last.config !== config) return 1;
    if (last.bucketRemaining < BUCKET_HEADROOM * size) return 1;
    if (limits.requestsPerDay !== null && (last.dailyRemaining === null || last.dailyRemaining < DAILY_HEADROOM * size)) return 1;
    return size;
  }

  /**
   * Records an answer from Upstash: `extra` tokens (and units) beyond the one the current request
   * spends are held. Returns daily units of an expired reservation that went unspent, for the
   * caller to give back to Upstash.
   */
  record(tenantId: string, answer: Omit<Reservation, "tokens" | "dailyUnits" | "takenAt">, extra: number, now: number): number {
    const held = this.byTenant.get(tenantId);
    const live = held && held.config === answer.config && now - held.takenAt < RESERVATION_TTL_MS ? held : undefined;
    const unspentDaily = held && !live && held.dailyUnits !== null && sameDay(held.takenAt, now) ? held.dailyUnits : 0;
    const next: Reservation = {
      ...answer,
      tokens: (live?.tokens ?? 0) + extra,
      dailyUnits: answer.dailyRemaining === null ? null : (live?.dailyUnits ?? 0) + extra,
      takenAt: now,
    };
    this.byTenant.delete(tenantId);
    this.byTenant.set(tenantId, next);
    if (this.byTenant.size > MAX_TRACKED_TENANTS) this.byTenant.delete(this.byTenant.keys().next().value!);
    return unspentDaily;
  }

  /** A quota unit back into the tenant's live reservation; false when none is held (give it to Upstash). */
  giveBack(tenantId: string, config: string, now: number): boolean {
    const held = this.byTenant.get(tenantId);
    if (!held || held.config !== config || now - held.takenAt >= RESERVATION_TTL_MS || held.dailyUnits === null) return false;
    held.dailyUnits++;
    return true;
  }
}

const DAY_MS = 86_400_000;
const sameDay = (a: number, b: number) => Math.floor(a / DAY_MS) === Math.floor(b / DAY_MS);
