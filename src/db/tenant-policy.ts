import { sql } from "drizzle-orm";
import { pgPolicy, type PgColumn } from "drizzle-orm/pg-core";
import { appRole } from "./roles.ts";

/**
 * The current transaction's tenant. `set_config('app.tenant_id', …, true)` sets it; unset or empty
 * yields NULL, which matches no row.
 */
export const currentTenant = sql`nullif(current_setting('app.tenant_id', true), '')`;

/** Row-level security for a tenant-owned table: the app role sees and writes its tenant's rows only. */
export function tenantIsolationPolicy(name: string, tenantId: PgColumn) {
  return pgPolicy(name, {
    as: "permissive",
    for: "all",
    to: appRole,
    using: sql`${tenantId} = ${currentTenant}`,
    withCheck: sql`${tenantId} = ${currentTenant}`,
  });
}
