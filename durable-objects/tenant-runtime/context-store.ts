import type { TenantContext } from "../../src/core/tenant-context.ts";

/**
 * The runtime object's copy of each tenant's context (its status gate and limits), in SQLite and
 * in memory. A copy only ever replaces an older one (by configVersion).
 */
export class ContextStore {
  private readonly contexts = new Map<string, TenantContext>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists tenant_contexts (
      tenant_id text primary key,
      config_version integer not null,
      context text not null
    )`);
    for (const row of sql.exec<{ context: string }>(`select context from tenant_contexts`)) {
      const context = JSON.parse(row.context) as TenantContext;
      this.contexts.set(context.id, context);
    }
  }

  get(tenantId: string): TenantContext | undefined {
    return this.contexts.get(tenantId);
  }

  /** Keeps the newer of the stored and the offered context; returns the one kept. */
  offer(context: TenantContext): TenantContext {
    const current = this.contexts.get(context.id);
    if (current && current.configVersion >= context.configVersion) return current;
    this.contexts.set(context.id, context);
    this.sql.exec(
      `insert into tenant_contexts (tenant_id, config_version, context) values (?, ?, ?)
       on conflict (tenant_id) do update set config_version = excluded.config_version, context = excluded.context`,
      context.id,
      context.configVersion,
      JSON.stringify(context),
    );
    return context;
  }

  ids(): string[] {
    return [...this.contexts.keys()];
  }

  purge(tenantId: string): void {
    this.contexts.delete(tenantId);
    this.sql.exec(`delete from tenant_contexts where tenant_id = ?`, tenantId);
  }
}
