/**
 * Concurrency leases of the tenants one runtime object serves, in its SQLite storage so that an
 * evicted object rebuilds them. A lease holds `slots` of the tenant's `maxConcurrentRequests`:
 * one for a request admitted here, several for a block an edge isolate admits with on its own
 * (admission grants, src/edge/admission-grants.ts). A lease expires on its own: a crashed
 * isolate never leaks a slot.
 */
import { DEFAULT_LEASE_TTL_MS } from "./admission.ts";

export { DEFAULT_LEASE_TTL_MS };

export class LeaseTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ttlMs = DEFAULT_LEASE_TTL_MS,
  ) {
    sql.exec(`create table if not exists leases (
      id text primary key,
      tenant_id text not null,
      expires_at integer not null,
      slots integer not null default 1,
      is_block integer not null default 0
    )`);
    // Objects created before grants existed have the table without `slots` and `is_block`.
    const columns = sql.exec<{ name: string }>(`pragma table_info(leases)`).toArray();
    if (!columns.some((column) => column.name === "slots")) sql.exec(`alter table leases add column slots integer not null default 1`);
    if (!columns.some((column) => column.name === "is_block")) sql.exec(`alter table leases add column is_block integer not null default 0`);
    sql.exec(`create index if not exists leases_tenant on leases (tenant_id, expires_at)`);
  }

  /** Takes a lease of one slot unless `max` unexpired slots are held; null when full. */
  acquire(tenantId: string, max: number, now = Date.now()): string | null {
    this.sql.exec(`delete from leases where tenant_id = ? and expires_at <= ?`, tenantId, now);
    if (this.held(tenantId, now) >= max) return null;
    const id = crypto.randomUUID();
    this.sql.exec(`insert into leases (id, tenant_id, expires_at, slots) values (?, ?, ?, 1)`, id, tenantId, now + this.ttlMs);
    return id;
  }

  /**
   * A block of up to `want` slots under the tenant's `max` (at most `room` more than the block
   * already holds), as lease `id`: a new block, or one renewed with its new size. The slots
   * given; 0 when there is no room (the block, if any, is then left as it was).
   */
  block(id: string, tenantId: string, max: number, want: number, room: number, now = Date.now()): number {
    this.sql.exec(`delete from leases where tenant_id = ? and expires_at <= ?`, tenantId, now);
    const own = this.sql.exec<{ slots: number }>(`select slots from leases where id = ?`, id).toArray()[0]?.slots ?? 0;
    const free = max - (this.held(tenantId, now) - own);
    const slots = Math.min(want, free, own + room);
    if (slots < 1) return 0;
    this.sql.exec(
      `insert into leases (id, tenant_id, expires_at, slots, is_block) values (?, ?, ?, ?, 1)
       on conflict (id) do update set expires_at = excluded.expires_at, slots = excluded.slots`,
      id,
      tenantId,
      now + this.ttlMs,
      slots,
    );
    return slots;
  }

  /** Pushes the expiry back: a request still streaming its response keeps its slot. */
  renew(leaseId: string, now = Date.now()): void {
    this.sql.exec(`update leases set expires_at = ? where id = ?`, now + this.ttlMs, leaseId);
  }

  release(leaseId: string): void {
    this.sql.exec(`delete from leases where id = ?`, leaseId);
  }

  /** Unexpired slots the tenant holds. */
  held(tenantId: string, now = Date.now()): number {
    return this.sql.exec<{ n: number }>(`select coalesce(sum(slots), 0) as n from leases where tenant_id = ? and expires_at > ?`, tenantId, now).one().n;
  }

  /** Unexpired slots of every tenant here: the shard's seats in use. */
  inUse(now = Date.now()): number {
    return this.sql.exec<{ n: number }>(`select coalesce(sum(slots), 0) as n from leases where expires_at > ?`, now).one().n;
  }

  /** When the tenant's newest block was given or renewed (null: it holds none). */
  lastBlockAt(tenantId: string): number | null {
    const row = this.sql.exec<{ t: number | null }>(`select max(expires_at) as t from leases where tenant_id = ? and is_block = 1`, tenantId).one();
    return row.t === null ? null : row.t - this.ttlMs;
  }

  /** Milliseconds until the next lease of any tenant expires (0 when none is held). */
  nextExpiryOfAnyIn(now = Date.now()): number {
    const row = this.sql.exec<{ t: number | null }>(`select min(expires_at) as t from leases where expires_at > ?`, now).one();
    return row.t === null ? 0 : Math.max(0, row.t - now);
  }

  /** Milliseconds until the tenant's oldest lease expires (a hint for Retry-After). */
  nextExpiryIn(tenantId: string, now = Date.now()): number {
    const row = this.sql.exec<{ t: number | null }>(`select min(expires_at) as t from leases where tenant_id = ?`, tenantId).one();
    return row.t === null ? 0 : Math.max(0, row.t - now);
  }

  purge(tenantId: string): void {
    this.sql.exec(`delete from leases where tenant_id = ?`, tenantId);
  }
}
