/**
 * Where a request's outbound round trips go. `runtime-overlapped` ran while something else was in
 * flight; `upstash-ahead` was started for later requests (a token refill) and nothing awaits it.
 */
export type Destination = "db" | "upstash" | "runtime" | "runtime-overlapped" | "upstash-ahead";

const DESTINATIONS: readonly Destination[] = ["db", "upstash", "runtime", "runtime-overlapped", "upstash-ahead"];

/** The pipeline's phases, in the order `Server-Timing` lists them. */
export type Phase = "auth" | "limits" | "admit" | "queue";

/** `queue`: of `admit`, the time the request waited for a seat in a busy runtime shard. */
const PHASES: readonly Phase[] = ["auth", "limits", "admit", "queue"];

/**
 * One request's timing and round-trip count. Any code holding it can time a phase or count a trip;
 * the `timing` middleware writes `Server-Timing` (contract v1.1) for routes that asked for it.
 */
export class RequestTimer {
  private readonly startedAt = performance.now();
  private readonly phases = new Map<Phase, number>();
  private readonly trips = new Map<Destination, { count: number; ms: number }>();
  private reported = false;

  /** Runs `work` as (part of) `phase`; time spent in it adds up over calls. */
  async phase<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.phases.set(phase, (this.phases.get(phase) ?? 0) + (performance.now() - started));
    }
  }

  /** Adds time measured elsewhere (the runtime object's queue wait) to `phase`. */
  addPhase(phase: Phase, ms: number): void {
    this.phases.set(phase, (this.phases.get(phase) ?? 0) + ms);
  }

  /** Counts one round trip to `destination`; `ms` is its duration once known (0 if not measured). */
  trip(destination: Destination, ms = 0): void {
    const entry = this.trips.get(destination) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    this.trips.set(destination, entry);
  }

  /** Adds time to a trip already counted (a trip's answer arrives after it was counted). */
  addTripTime(destination: Destination, ms: number): void {
    const entry = this.trips.get(destination);
    if (entry) entry.ms += ms;
  }

  /** Times one round trip to `destination`. */
  async roundTrip<T>(destination: Destination, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.trip(destination);
    try {
      return await work();
    } finally {
      this.addTripTime(destination, performance.now() - started);
    }
  }

  count(destination: Destination): number {
    return this.trips.get(destination)?.count ?? 0;
  }

  /** Asks for `Server-Timing` on this request's response (data plane and gateway). */
  report(): void {
    this.reported = true;
  }

  get reporting(): boolean {
    return this.reported;
  }

  /** `auth;dur=0.1, limits;dur=0.3, admit;dur=1.2, db;dur=3.4, db-rt;desc=2, total;dur=5.6` */
  serverTiming(): string {
    const parts: string[] = [];
    for (const phase of PHASES) {
      const ms = this.phases.get(phase);
      if (ms !== undefined) parts.push(`${phase};dur=${round(ms)}`);
    }
    const db = this.trips.get("db");
    if (db) parts.push(`db;dur=${round(db.ms)}`, `db-rt;desc=${db.count}`);
    parts.push(`total;dur=${round(performance.now() - this.startedAt)}`);
    return parts.join(", ");
  }

  /** `db=1, upstash=0, runtime=0, runtime-overlapped=1, upstash-ahead=0`: every destination, for benchmarks and operators. */
  roundTrips(): string {
    return DESTINATIONS.map((destination) => `${destination}=${this.count(destination)}`).join(", ");
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** `roundTrips()` of an answer given before anything was asked (a refusal the isolate decided alone). */
export const NO_ROUND_TRIPS = DESTINATIONS.map((destination) => `${destination}=0`).join(", ");

/** `serverTiming()` of such an answer, without a timer: it had no phases and made no trips. */
export function totalOnlyServerTiming(startedAt: number): string {
  return `total;dur=${round(performance.now() - startedAt)}`;
}
