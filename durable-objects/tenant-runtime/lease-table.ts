/**
 * Concurrency leases of the tenants one runtime object serves, in its SQLite storage so that an
 * evicted object rebuilds them. A lease expires on its own: a crashed isolate never leaks a slot.
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
      expires_at integer not null
    )`);
    sql.exec(`create index if not exists leases_tenant on leases (tenant_id, expires_at)`);
  }

  /** Takes a lease unless `max` unexpired ones are held; null when full. */
  acquire(tenantId: string, max: number, now = Date.now()): string | null {
    this.sql.exec(`delete from leases where tenant_id = ? and expires_at <= ?`, tenantId, now);
    const held = this.sql.exec<{ n: number }>(`select count(*) as n from leases where tenant_id = ?`, tenantId).one().n;
    if (held >= max) return null;
    const id = crypto.randomUUID();
    this.sql.exec(`insert into leases (id, tenant_id, expires_at) values (?, ?, ?)`, id, tenantId, now + this.ttlMs);
    return id;
  }

  /** Pushes the expiry back: a request still streaming its response keeps its slot. */
  renew(leaseId: string, now = Date.now()): void {
    this.sql.exec(`update leases set expires_at = ? where id = ?`, now + this.ttlMs, leaseId);
  }

  release(leaseId: string): void {
    this.sql.exec(`delete from leases where id = ?`, leaseId);
  }

  held(tenantId: string, now = Date.now()): number {
    return this.sql.exec<{ n: number }>(`select count(*) as n from leases where tenant_id = ? and expires_at > ?`, tenantId, now).one().n;
  }

  /** Unexpired leases of every tenant here: the shard's seats in use. */
  inUse(now = Date.now()): number {
    return this.sql.exec<{ n: number }>(`select count(*) as n from leases where expires_at > ?`, now).one().n;
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
