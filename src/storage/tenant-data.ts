import type { SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Transaction } from "../db/client.ts";
import { textToSql, type TextQuery } from "../db/text-query.ts";
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

/** The one statement that scopes a transaction to `tenant`: the same text for every request of a tier. */
export const TENANT_SCOPE_TEXT = "select set_config('role', $1, true), set_config('search_path', $2, true), set_config('app.tenant_id', $3, true)";

export function tenantScopeQuery(tenant: TenantDataScope): TextQuery {
  if (tenant.isolation === "dedicated") {
    const names = dedicatedNames(tenant.id);
    return { text: TENANT_SCOPE_TEXT, params: [names.role, names.schema, tenant.id] };
  }
  return { text: TENANT_SCOPE_TEXT, params: [SHARED_ROLE, "public", tenant.id] };
}

/** The scoping statement for drizzle (exported for the pooling attack tests). */
export function tenantScopeStatement(tenant: TenantDataScope): SQL {
  return textToSql(tenantScopeQuery(tenant));
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
 * One statement confined to `tenant` exactly as `withTenantData` confines it, in one round trip
 * (scoping and statement in one HTTP batch, one transaction: an error rolls both back), written as
 * text and sent by the Neon driver itself: for the hot paths (a record's GET, PUT and DELETE), where
 * building the statements with drizzle on every request was a fifth of a cached read's CPU (session 9
 * profile). Rows come as objects named by the statement's columns, as the driver reads them.
 */
export async function queryTenantData<Row = Record<string, unknown>>(http: HttpDatabase, tenant: TenantDataScope, query: TextQuery): Promise<Row[]> {
  const client = http.$client;
  const scope = tenantScopeQuery(tenant);
  const [, rows] = await client.transaction([client.query(scope.text, scope.params), client.query(query.text, query.params)]);
  return rows as Row[];
}
