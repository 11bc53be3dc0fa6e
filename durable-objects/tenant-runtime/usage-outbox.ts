import type { UsageBatch } from "../../src/metering/usage-sink.ts";
import type { UsageCounters } from "./usage-counters.ts";
import type { UsageRow } from "../../src/core/usage-counts.ts";

/**
 * Sealed usage batches waiting for Postgres. Counters move into a batch (with a fresh id) in one
 * storage transaction; a batch is deleted only after Postgres committed it. A crash anywhere
 * leaves either counters or a batch, never neither, and a resent batch id is applied once.
 */
export class UsageOutbox {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly counters: UsageCounters,
    private readonly origin: string,
  ) {
    storage.sql.exec(`create table if not exists usage_batches (
      id text primary key,
      tenant_id text not null,
      rows text not null,
      created_at integer not null
    )`);
  }

  /** Moves the current counters (of one tenant, or all) into batches, one per tenant. */
  seal(tenantId?: string): void {
    this.storage.transactionSync(() => {
      const byTenant = new Map<string, UsageRow[]>();
      for (const row of this.counters.take(tenantId)) {
        const rows = byTenant.get(row.tenantId) ?? [];
        rows.push(row);
        byTenant.set(row.tenantId, rows);
      }
      for (const [tenant, rows] of byTenant) {
        this.storage.sql.exec(
          `insert into usage_batches (id, tenant_id, rows, created_at) values (?, ?, ?, ?)`,
          `${this.origin}:${crypto.randomUUID()}`,
          tenant,
          JSON.stringify(rows),
          Date.now(),
        );
      }
    });
  }

  batches(tenantId?: string): UsageBatch[] {
    const cursor =
      tenantId === undefined
        ? this.storage.sql.exec(`select id, tenant_id, rows from usage_batches order by created_at`)
        : this.storage.sql.exec(`select id, tenant_id, rows from usage_batches where tenant_id = ? order by created_at`, tenantId);
    return [...cursor].map((row) => ({
      id: row.id as string,
      tenantId: row.tenant_id as string,
      rows: JSON.parse(row.rows as string) as UsageRow[],
    }));
  }

  remove(batchId: string): void {
    this.storage.sql.exec(`delete from usage_batches where id = ?`, batchId);
  }

  hasPending(): boolean {
    return this.storage.sql.exec(`select 1 from usage_batches limit 1`).toArray().length > 0;
  }

  purge(tenantId: string): void {
    this.storage.sql.exec(`delete from usage_batches where tenant_id = ?`, tenantId);
  }
}
