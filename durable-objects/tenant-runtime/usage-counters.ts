import type { UsageCounts, UsageRow } from "../../src/core/usage-counts.ts";
import { REQUEST_OUTCOMES, type OutcomeCounts } from "../../src/core/outcomes.ts";
import type { UsageDelta } from "../../src/core/usage.ts";

const OUTCOME_COLUMNS = REQUEST_OUTCOMES.map((outcome) => `outcome_${outcome}`);

/** Built once: `add` runs on every report, and the statement's text is the same each time. */
const ADD_USAGE_SQL = `insert into usage (tenant_id, minute, requests, rejected, read_ops, write_ops, bytes_in, bytes_out, connection_seconds, peak_connections, messages, ${OUTCOME_COLUMNS.join(", ")})
   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${OUTCOME_COLUMNS.map(() => "?").join(", ")})
   on conflict (tenant_id, minute) do update set
     requests = requests + excluded.requests,
     rejected = rejected + excluded.rejected,
     read_ops = read_ops + excluded.read_ops,
     write_ops = write_ops + excluded.write_ops,
     bytes_in = bytes_in + excluded.bytes_in,
     bytes_out = bytes_out + excluded.bytes_out,
     connection_seconds = connection_seconds + excluded.connection_seconds,
     peak_connections = max(peak_connections, excluded.peak_connections),
     messages = messages + excluded.messages,
     ${OUTCOME_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(",\n     ")}`;

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
    // Objects whose table predates outcome counting gain the columns.
    const existing = new Set(sql.exec(`select * from usage limit 0`).columnNames);
    for (const column of OUTCOME_COLUMNS) {
      if (!existing.has(column)) sql.exec(`alter table usage add column ${column} integer not null default 0`);
    }
  }

  add(tenantId: string, delta: UsageDelta, now = Date.now()): void {
    this.sql.exec(
      ADD_USAGE_SQL,
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
      ...REQUEST_OUTCOMES.map((outcome) => (delta.outcome === outcome ? 1 : 0) + (delta.outcomes?.[outcome] ?? 0)),
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

  /** Start of the oldest minute still counted here (not yet sealed into a batch), or null. */
  oldestMinute(tenantId?: string): number | null {
    const cursor =
      tenantId === undefined
        ? this.sql.exec(`select min(minute) as oldest from usage`)
        : this.sql.exec(`select min(minute) as oldest from usage where tenant_id = ?`, tenantId);
    const oldest = cursor.one().oldest;
    return typeof oldest === "number" ? oldest : null;
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
    outcomes: Object.fromEntries(REQUEST_OUTCOMES.map((outcome) => [outcome, (row[`outcome_${outcome}`] as number) ?? 0])) as OutcomeCounts,
  };
}
