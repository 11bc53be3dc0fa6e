// The Worker the `workerd` test project runs in: one Durable Object holding the runtime object's
// SQLite-backed tables exactly as TenantRuntime builds them, and nothing else (no Postgres, no Redis).
import { DurableObject } from "cloudflare:workers";
import { LeaseTable } from "../../durable-objects/tenant-runtime/lease-table.ts";
import { UsageCounters } from "../../durable-objects/tenant-runtime/usage-counters.ts";
import { UsageOutbox } from "../../durable-objects/tenant-runtime/usage-outbox.ts";

/** Lease lifetime of the harness: short enough to test expiry with explicit clocks. */
export const HARNESS_LEASE_TTL_MS = 1000;

export class TablesHarness extends DurableObject<Cloudflare.Env> {
  readonly leases: LeaseTable;
  readonly counters: UsageCounters;
  readonly outbox: UsageOutbox;
  /** Differs between instances: proves an eviction built a new object over the same storage. */
  readonly instance = crypto.randomUUID();

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.leases = new LeaseTable(ctx.storage.sql, HARNESS_LEASE_TTL_MS);
    this.counters = new UsageCounters(ctx.storage.sql);
    this.outbox = new UsageOutbox(ctx.storage, this.counters, ctx.id.toString());
  }

  /** RPC: a lease taken through the object's input gate, as concurrent requests take them. */
  acquire(tenantId: string, max: number): string | null {
    return this.leases.acquire(tenantId, max);
  }

  release(leaseId: string): void {
    this.leases.release(leaseId);
  }
}

export default {
  fetch: () => new Response("tables harness"),
};
