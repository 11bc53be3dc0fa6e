/**
 * Usage per tenant and minute, counted in the runtime object's SQLite storage (so eviction loses
 * nothing) and flushed to Postgres in batches. Rows are deleted only after Postgres committed them.
 */
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
}

export interface UsageRow {
  tenantId: string;
  minute: number;
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

export const minuteOf = (epochMs: number) => Math.floor(epochMs / 60_000) * 60_000;

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

  /** Every counted row, optionally of one tenant. */
  pending(tenantId?: string): UsageRow[] {
    const cursor =
      tenantId === undefined
        ? this.sql.exec(`select * from usage order by tenant_id, minute`)
        : this.sql.exec(`select * from usage where tenant_id = ? order by minute`, tenantId);
    return [...cursor].map((row) => ({
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
    }));
  }

  /** Subtracts exactly what was flushed; counts added meanwhile stay. Empty rows go. */
  subtract(rows: UsageRow[]): void {
    for (const row of rows) {
      this.sql.exec(
        `update usage set requests = requests - ?, rejected = rejected - ?, read_ops = read_ops - ?, write_ops = write_ops - ?,
           bytes_in = bytes_in - ?, bytes_out = bytes_out - ?, connection_seconds = connection_seconds - ?, messages = messages - ?,
           peak_connections = case when peak_connections <= ? then 0 else peak_connections end
         where tenant_id = ? and minute = ?`,
        row.requests,
        row.rejected,
        row.readOps,
        row.writeOps,
        row.bytesIn,
        row.bytesOut,
        row.connectionSeconds,
        row.messages,
        row.peakConnections,
        row.tenantId,
        row.minute,
      );
    }
    this.sql.exec(
      `delete from usage where requests = 0 and rejected = 0 and read_ops = 0 and write_ops = 0 and bytes_in = 0
         and bytes_out = 0 and connection_seconds = 0 and messages = 0 and peak_connections = 0`,
    );
  }

  purge(tenantId: string): void {
    this.sql.exec(`delete from usage where tenant_id = ?`, tenantId);
  }
}
