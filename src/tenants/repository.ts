import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { provisioningRuns, provisioningSteps } from "../provisioning/schema.ts";
import { tenants } from "../core/tenant-table.ts";
import { tenantView, type TenantView } from "./view.ts";
import { type TenantRow } from "../core/tenant.ts";
import type { PlanId } from "../core/plans.ts";
import type { TenantStatus } from "../core/tenant.ts";

type Queryable = Database | Transaction;

export async function findTenantRow(db: Queryable, id: string): Promise<TenantRow | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return row;
}

/** Tenant rows with their provisioning state, in the contract's shape. */
export async function viewsOf(db: Queryable, rows: TenantRow[]): Promise<TenantView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [runs, steps] = await Promise.all([
    db.select().from(provisioningRuns).where(inArray(provisioningRuns.tenantId, ids)),
    db.select().from(provisioningSteps).where(inArray(provisioningSteps.tenantId, ids)),
  ]);
  return rows.map((row) =>
    tenantView(
      row,
      runs.find((run) => run.tenantId === row.id),
      steps.filter((step) => step.tenantId === row.id),
    ),
  );
}

export async function findTenantView(db: Queryable, id: string): Promise<TenantView | undefined> {
  const row = await findTenantRow(db, id);
  if (!row) return undefined;
  const [view] = await viewsOf(db, [row]);
  return view;
}

export interface TenantFilter {
  status?: TenantStatus;
  plan?: PlanId;
  /** Exclusive: only tenants created before this id (ids are time-ordered). */
  beforeId?: string;
  limit: number;
}

/** Newest first. Fetches one extra row to know whether another page exists. */
export async function listTenantRows(db: Queryable, filter: TenantFilter): Promise<{ rows: TenantRow[]; more: boolean }> {
  const conditions: SQL[] = [];
  if (filter.status) conditions.push(eq(tenants.status, filter.status));
  if (filter.plan) conditions.push(eq(tenants.plan, filter.plan));
  if (filter.beforeId) conditions.push(lt(tenants.id, filter.beforeId));
  const rows = await db
    .select()
    .from(tenants)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(tenants.id))
    .limit(filter.limit + 1);
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}
