/**
 * After a dependency fails, skip it for a short while in this isolate instead of paying its
 * timeout on every request; the next call after the pause probes it again.
 */
export class CircuitBreaker {
  private openUntil = 0;
  private failures = 0;

  constructor(
    private readonly pauseMs: number,
    /** Consecutive failures that open it: one slow answer under load is not an outage. */
    private readonly threshold = 3,
  ) {}

  get isOpen(): boolean {
    return Date.now() < this.openUntil;
  }

  recordFailure(): void {
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = Date.now() + this.pauseMs;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
  }
}

/** Shared by everything in this isolate that talks to Upstash. */
export const upstashBreaker = new CircuitBreaker(2000);
