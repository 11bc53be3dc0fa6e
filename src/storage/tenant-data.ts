import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Transaction } from "../db/client.ts";
import type { HttpDatabase } from "../db/client.ts";
import type { Isolation } from "../core/plans.ts";
import { dedicatedNames } from "./dedicated-names.ts";

export interface TenantDataScope {
  id: string;
  isolation: Isolation;
}

const SHARED_ROLE = "tenantry_app";

/**
 * Runs `work` in a transaction that can only see `tenant`'s data, enforced by Postgres itself:
 * - shared tier: the non-owner role `tenantry_app` with `app.tenant_id` set (forced row-level security);
 * - dedicated tier: the tenant's own role, with `search_path` = the tenant's own schema.
 * Everything is transaction-local (`set_config(…, true)`), so a pooled connection carries nothing
 * into the next transaction. One round trip sets it all up.
 */
export function withTenantData<T>(db: Database, tenant: TenantDataScope, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(tenantScopeStatement(tenant));
    return work(tx);
  });
}

/**
 * The one statement that scopes a transaction to `tenant`, as text and parameters: the same for
 * every request of a tier, so it is written once rather than built per request.
 */
export const TENANT_SCOPE_TEXT = "select set_config('role', $1, true), set_config('search_path', $2, true), set_config('app.tenant_id', $3, true)";

function scopeParams(tenant: TenantDataScope): [role: string, searchPath: string, tenantId: string] {
  if (tenant.isolation === "dedicated") {
    const names = dedicatedNames(tenant.id);
    return [names.role, names.schema, tenant.id];
  }
  return [SHARED_ROLE, "public", tenant.id];
}

/** The scoping statement for drizzle (exported for the pooling attack tests). */
export function tenantScopeStatement(tenant: TenantDataScope): SQL {
  const [role, searchPath, tenantId] = scopeParams(tenant);
  return sql`select set_config('role', ${role}, true), set_config('search_path', ${searchPath}, true), set_config('app.tenant_id', ${tenantId}, true)`;
}

/**
 * One read confined to `tenant` exactly as `withTenantData` confines it, in one round trip: the
 * scoping statement and `query` travel as one HTTP batch, which Postgres runs as one transaction.
 */
export async function readTenantData<Q extends BatchItem<"pg">>(http: HttpDatabase, tenant: TenantDataScope, query: Q) {
  const [, rows] = await http.batch([http.execute(tenantScopeStatement(tenant)), query] as const);
  return rows;
}

/**
 * `readTenantData` for a query written as text (`$1`… and its parameters), without drizzle: for the
 * hottest reads, where building the query with drizzle cost more CPU than the rest of the request's
 * tenancy work (session 9 profile: a fifth of a cached map read). Rows come as objects named by the
 * query's columns; the Neon driver parses integers and timestamps.
 */
export async function readTenantRows<Row>(http: HttpDatabase, tenant: TenantDataScope, text: string, params: unknown[]): Promise<Row[]> {
  const client = http.$client;
  const [, rows] = await client.transaction([client.query(TENANT_SCOPE_TEXT, scopeParams(tenant)), client.query(text, params)]);
  return rows as Row[];
}

/**
 * One write statement confined to `tenant` exactly as `withTenantData` confines it, in one round
 * trip (scoping and statement in one HTTP batch, one transaction: an error rolls both back).
 */
export async function writeTenantData(http: HttpDatabase, tenant: TenantDataScope, statement: SQL): Promise<Record<string, unknown>[]> {
  const [, result] = await http.batch([http.execute(tenantScopeStatement(tenant)), http.execute(statement)] as const);
  return result.rows;
}
