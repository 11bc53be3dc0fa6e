import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Isolation } from "../core/plans.ts";
import { tenants } from "../core/tenant-table.ts";
import type { TenantRow } from "../core/tenant.ts";
import type { MigrationRecord } from "./migration-record.ts";

export async function loadTenant(db: Database, tenantId: string): Promise<TenantRow | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row;
}

export function migrationOf(row: TenantRow): MigrationRecord | null {
  return (row.migration as MigrationRecord | null) ?? null;
}

export interface MigrationWrite {
  record: MigrationRecord;
  /** Only if the stored record's runner token is this one (null: no runner yet). */
  expectRunner?: string | null;
  /** Changes the data plane must see (pause, switch): bump configVersion. */
  publish?: boolean;
  isolation?: Isolation;
}

/**
 * Writes the migration record back, only if the tenant still carries this migration (by id):
 * returns the updated row, or undefined when another request replaced it meanwhile.
 */
export async function saveMigration(db: Database, tenantId: string, write: MigrationWrite): Promise<TenantRow | undefined> {
  const [row] = await db
    .update(tenants)
    .set({
      migration: write.record as unknown as Record<string, unknown>,
      updatedAt: sql`now()`,
      ...(write.isolation ? { isolation: write.isolation } : {}),
      ...(write.publish ? { configVersion: sql`${tenants.configVersion} + 1` } : {}),
    })
    .where(
      and(
        eq(tenants.id, tenantId),
        sql`${tenants.migration}->>'id' = ${write.record.id}`,
        write.expectRunner === undefined ? undefined : sql`coalesce(${tenants.migration}->'runner'->>'token', '') = ${write.expectRunner ?? ""}`,
      ),
    )
    .returning();
  return row;
}

/**
 * A time T such that every row a later copy pass must pick up has updated_at ≥ T. `updated_at` is
 * its writer's transaction start, so a transaction still open now may commit rows stamped before
 * now: T is the start of the oldest open transaction, or now.
 */
export async function copyWatermark(db: Database): Promise<Date> {
  const result = await db.execute<{ t: string | Date }>(sql`
    select least(now(), coalesce((select min(xact_start) from pg_stat_activity where xact_start is not null and pid <> pg_backend_pid()), now())) as t`);
  return new Date(result.rows[0]!.t);
}
