import type { UsageCounts, UsageRow } from "../../src/core/usage-counts.ts";
import type { UsageDelta } from "../../src/core/usage.ts";

export const minuteOf = (epochMs: number) => Math.floor(epochMs / 60_000) * 60_000;

/**
 * Usage per tenant and minute, counted in the runtime object's SQLite storage (so eviction loses
 * nothing) and flushed to Postgres in batches. Rows are deleted only after Postgres committed them.
 */
export class UsageCounters {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists usage (
      tenant_id text not null,
      minute integer not null,
      requests integer not null default 0,
      rejected integer not null default 0,
      read_ops integer not null default 0,
      write_ops integer not null default 0,
      bytes_in integer not null default 0,
      bytes_out integer not null default 0,
      connection_seconds integer not null default 0,
      peak_connections integer not null default 0,
      messages integer not null default 0,
      primary key (tenant_id, minute)
    )`);
  }

  add(tenantId: string, delta: UsageDelta, now = Date.now()): void {
    this.sql.exec(
      `insert into usage (tenant_id, minute, requests, rejected, read_ops, write_ops, bytes_in, bytes_out, connection_seconds, peak_connections, messages)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, minute) do update set
         requests = requests + excluded.requests,
         rejected = rejected + excluded.rejected,
         read_ops = read_ops + excluded.read_ops,
         write_ops = write_ops + excluded.write_ops,
         bytes_in = bytes_in + excluded.bytes_in,
         bytes_out = bytes_out + excluded.bytes_out,
         connection_seconds = connection_seconds + excluded.connection_seconds,
         peak_connections = max(peak_connections, excluded.peak_connections),
         messages = messages + excluded.messages`,
      tenantId,
      minuteOf(now),
      delta.requests ?? 0,
      delta.rejected ?? 0,
      delta.readOps ?? 0,
      delta.writeOps ?? 0,
      delta.bytesIn ?? 0,
      delta.bytesOut ?? 0,
      delta.connectionSeconds ?? 0,
      delta.connections ?? 0,
      delta.messages ?? 0,
    );
  }

  /**
   * Removes and returns every counted row (of one tenant, or all). Synchronous, so within a
   * Durable Object nothing can be counted in between: the caller seals the rows into a batch
   * in the same storage transaction.
   */
  take(tenantId?: string): UsageRow[] {
    const rows =
      tenantId === undefined
        ? this.sql.exec(`select * from usage order by tenant_id, minute`)
        : this.sql.exec(`select * from usage where tenant_id = ? order by minute`, tenantId);
    const taken = [...rows].map(toUsageRow);
    if (tenantId === undefined) this.sql.exec(`delete from usage`);
    else this.sql.exec(`delete from usage where tenant_id = ?`, tenantId);
    return taken;
  }

  hasPending(): boolean {
    return this.sql.exec(`select 1 from usage limit 1`).toArray().length > 0;
  }

  purge(tenantId: string): void {
    this.sql.exec(`delete from usage where tenant_id = ?`, tenantId);
  }
}

function toUsageRow(row: Record<string, SqlStorageValue>): UsageRow {
  return {
    tenantId: row.tenant_id as string,
    minute: row.minute as number,
    requests: row.requests as number,
    rejected: row.rejected as number,
    readOps: row.read_ops as number,
    writeOps: row.write_ops as number,
    bytesIn: row.bytes_in as number,
    bytesOut: row.bytes_out as number,
    connectionSeconds: row.connection_seconds as number,
    peakConnections: row.peak_connections as number,
    messages: row.messages as number,
  };
}
