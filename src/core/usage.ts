import type { OutcomeCounts, RequestOutcome } from "./outcomes.ts";

/** What one data-plane request did, reported to the runtime object when it ends (metering). */
export interface RequestUsage {
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
  /** How the request ended, known once it was answered (metrics). */
  outcome?: RequestOutcome;
}

/** Usage to add to a tenant's counters (the runtime object's SQLite, then Postgres). */
export interface UsageDelta {
  requests?: number;
  rejected?: number;
  readOps?: number;
  writeOps?: number;
  bytesIn?: number;
  bytesOut?: number;
  connectionSeconds?: number;
  messages?: number;
  /** Concurrent connections observed now; the minute keeps the maximum. */
  connections?: number;
  /** How a data-plane request ended (metrics only; not part of the usage API). */
  outcome?: RequestOutcome;
  /** Several requests' outcomes at once (refusals the edge reports in batches). */
  outcomes?: Partial<OutcomeCounts>;
}
