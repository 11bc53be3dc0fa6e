import type { OutcomeCounts } from "./outcomes.ts";

/** The contract's usage counters, as every layer (runtime SQLite, batches, API) carries them. */
export interface UsageCounts {
  requests: number;
  rejected: number;
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
  connectionSeconds: number;
  peakConnections: number;
  messages: number;
}

export const noUsage = (): UsageCounts => ({
  requests: 0,
  rejected: 0,
  readOps: 0,
  writeOps: 0,
  bytesIn: 0,
  bytesOut: 0,
  connectionSeconds: 0,
  peakConnections: 0,
  messages: 0,
});

/** One tenant's counts for one minute. */
export interface UsageRow extends UsageCounts {
  tenantId: string;
  minute: number;
  /** Requests by outcome (metrics); absent in batches sealed before outcomes were counted. */
  outcomes?: OutcomeCounts;
}
