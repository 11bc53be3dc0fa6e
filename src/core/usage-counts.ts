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

/** One tenant's counts for one minute. */
export interface UsageRow extends UsageCounts {
  tenantId: string;
  minute: number;
}
