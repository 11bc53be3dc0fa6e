/** What one data-plane request did, reported to the runtime object when it ends (metering). */
export interface RequestUsage {
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
}
