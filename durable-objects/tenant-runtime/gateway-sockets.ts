/**
 * WebSockets the gateway holds open for a tenant (the edge relays them; this object only counts
 * them against `maxConnections`, beside the realtime hub's own). In SQLite like the leases, and
 * with an expiry the edge keeps pushing back while the socket lives: a dead isolate leaks nothing.
 */
import { GATEWAY_SOCKET_TTL_MS } from "./admission.ts";

export { GATEWAY_SOCKET_TTL_MS };

export class GatewaySockets {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists gateway_sockets (
      id text primary key,
      tenant_id text not null,
      opened_at integer not null,
      expires_at integer not null
    )`);
    sql.exec(`create index if not exists gateway_sockets_tenant on gateway_sockets (tenant_id, expires_at)`);
  }

  held(tenantId: string, now = Date.now()): number {
    this.sql.exec(`delete from gateway_sockets where tenant_id = ? and expires_at <= ?`, tenantId, now);
    return this.sql.exec<{ n: number }>(`select count(*) as n from gateway_sockets where tenant_id = ?`, tenantId).one().n;
  }

  open(tenantId: string, now = Date.now()): string {
    const id = crypto.randomUUID();
    this.sql.exec(`insert into gateway_sockets (id, tenant_id, opened_at, expires_at) values (?, ?, ?, ?)`, id, tenantId, now, now + GATEWAY_SOCKET_TTL_MS);
    return id;
  }

  renew(id: string, now = Date.now()): void {
    this.sql.exec(`update gateway_sockets set expires_at = ? where id = ?`, now + GATEWAY_SOCKET_TTL_MS, id);
  }

  /** Removes the socket; returns when it was opened (null if it was gone already). */
  close(id: string): number | null {
    const row = this.sql.exec<{ opened_at: number }>(`delete from gateway_sockets where id = ? returning opened_at`, id).toArray()[0];
    return row ? row.opened_at : null;
  }

  purge(tenantId: string): void {
    this.sql.exec(`delete from gateway_sockets where tenant_id = ?`, tenantId);
  }
}
