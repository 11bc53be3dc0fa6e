import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { UsageRow } from "../core/usage-counts.ts";
import { usageBatches, usageMinutes } from "./schema.ts";

export interface UsageBatch {
  /** Unique per batch and stable across retries: Postgres applies a batch id once. */
  id: string;
  tenantId: string;
  rows: UsageRow[];
}

/**
 * Adds a batch into usage_minutes in one transaction, unless that batch id was applied before
 * (a retry after a crash between the commit and the runtime's delete). Exactly once either way.
 */
export async function applyUsageBatch(db: Database, batch: UsageBatch): Promise<"applied" | "duplicate"> {
  if (batch.rows.length === 0) return "duplicate";
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(usageBatches)
      .values({ id: batch.id, tenantId: batch.tenantId })
      .onConflictDoNothing()
      .returning({ id: usageBatches.id });
    if (claimed.length === 0) return "duplicate";
    await tx
      .insert(usageMinutes)
      .values(
        batch.rows.map((row) => ({
          tenantId: row.tenantId,
          minute: new Date(row.minute),
          requests: row.requests,
          rejected: row.rejected,
          readOps: row.readOps,
          writeOps: row.writeOps,
          bytesIn: row.bytesIn,
          bytesOut: row.bytesOut,
          connectionSeconds: row.connectionSeconds,
          peakConnections: row.peakConnections,
          messages: row.messages,
        })),
      )
      .onConflictDoUpdate({
        target: [usageMinutes.tenantId, usageMinutes.minute],
        set: {
          requests: sql`${usageMinutes.requests} + excluded.requests`,
          rejected: sql`${usageMinutes.rejected} + excluded.rejected`,
          readOps: sql`${usageMinutes.readOps} + excluded.read_ops`,
          writeOps: sql`${usageMinutes.writeOps} + excluded.write_ops`,
          bytesIn: sql`${usageMinutes.bytesIn} + excluded.bytes_in`,
          bytesOut: sql`${usageMinutes.bytesOut} + excluded.bytes_out`,
          connectionSeconds: sql`${usageMinutes.connectionSeconds} + excluded.connection_seconds`,
          peakConnections: sql`greatest(${usageMinutes.peakConnections}, excluded.peak_connections)`,
          messages: sql`${usageMinutes.messages} + excluded.messages`,
        },
      });
    return "applied";
  });
}
