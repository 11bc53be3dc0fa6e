import { and, asc, eq, gt, gte, inArray, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { mapRecords } from "../storage/schema.ts";
import { withTenantData, type TenantDataScope } from "../storage/tenant-data.ts";

/**
 * Moving a tenant's map records between its shared rows and its own schema, always through
 * withTenantData on both sides, so even the migration runs inside each side's isolation.
 * Every write is an idempotent upsert of the source's row: any step can run again.
 */
const PAGE = 500;

/** A row as copied: the value stays JSON text end to end (drizzle's jsonb decoding is lossy for strings). */
interface RecordRow {
  tenantId: string;
  map: string;
  key: string;
  value: string;
  version: number;
  bytes: number;
  updatedAt: Date;
}

interface Position {
  map: string;
  key: string;
}

const after = (position: Position | undefined) =>
  position ? or(gt(mapRecords.map, position.map), and(eq(mapRecords.map, position.map), gt(mapRecords.key, position.key))) : undefined;

async function page(db: Database, scope: TenantDataScope, from: Position | undefined, since?: Date): Promise<RecordRow[]> {
  return withTenantData(db, scope, (tx) =>
    tx
      .select({
        tenantId: mapRecords.tenantId,
        map: mapRecords.map,
        key: mapRecords.key,
        value: sql<string>`${mapRecords.value}::text`,
        version: mapRecords.version,
        bytes: mapRecords.bytes,
        updatedAt: mapRecords.updatedAt,
      })
      .from(mapRecords)
      .where(and(eq(mapRecords.tenantId, scope.id), after(from), since ? gte(mapRecords.updatedAt, since) : undefined))
      .orderBy(asc(mapRecords.map), asc(mapRecords.key))
      .limit(PAGE),
  );
}

async function upsert(tx: Transaction, rows: RecordRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(mapRecords)
    .values(rows.map((row) => ({ ...row, value: sql`${row.value}::jsonb` })))
    .onConflictDoUpdate({
      target: [mapRecords.tenantId, mapRecords.map, mapRecords.key],
      set: {
        value: sql`excluded.value`,
        version: sql`excluded.version`,
        bytes: sql`excluded.bytes`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}

/** Copies every row (or those changed since `since`) from source to target; returns how many. */
export async function copyRecords(db: Database, source: TenantDataScope, target: TenantDataScope, since?: Date): Promise<number> {
  let copied = 0;
  let position: Position | undefined;
  for (;;) {
    const rows = await page(db, source, position, since);
    if (rows.length === 0) return copied;
    await withTenantData(db, target, (tx) => upsert(tx, rows));
    copied += rows.length;
    const last = rows[rows.length - 1]!;
    position = { map: last.map, key: last.key };
    if (rows.length < PAGE) return copied;
  }
}

/** Deletes target rows the source no longer has (deletes made during the copy). */
export async function removeVanished(db: Database, source: TenantDataScope, target: TenantDataScope): Promise<number> {
  let removed = 0;
  let position: Position | undefined;
  for (;;) {
    const rows = await page(db, target, position);
    if (rows.length === 0) return removed;
    const keys = rows.map((row) => `${row.map}\u001f${row.key}`);
    const present = await withTenantData(db, source, (tx) =>
      tx
        .select({ map: mapRecords.map, key: mapRecords.key })
        .from(mapRecords)
        .where(and(eq(mapRecords.tenantId, source.id), inArray(sql`${mapRecords.map} || chr(31) || ${mapRecords.key}`, keys))),
    );
    const kept = new Set(present.map((row) => `${row.map}\u001f${row.key}`));
    const gone = rows.filter((row) => !kept.has(`${row.map}\u001f${row.key}`));
    if (gone.length > 0) {
      await withTenantData(db, target, async (tx) => {
        for (const row of gone) {
          await tx.delete(mapRecords).where(and(eq(mapRecords.tenantId, target.id), eq(mapRecords.map, row.map), eq(mapRecords.key, row.key)));
        }
      });
      removed += gone.length;
    }
    const last = rows[rows.length - 1]!;
    position = { map: last.map, key: last.key };
    if (rows.length < PAGE) return removed;
  }
}

export interface Fingerprint {
  records: number;
  checksum: string;
}

/** Row count and an order-independent checksum of (map, key, version, value) on one side. */
export async function fingerprint(db: Database, scope: TenantDataScope): Promise<Fingerprint> {
  const [row] = await withTenantData(db, scope, (tx) =>
    tx
      .select({
        records: sql<number>`count(*)::int`,
        checksum: sql<string>`coalesce(sum(('x' || substr(md5(${mapRecords.map} || chr(31) || ${mapRecords.key} || chr(31) || ${mapRecords.version}::text || chr(31) || ${mapRecords.value}::text), 1, 15))::bit(60)::bigint), 0)::text`,
      })
      .from(mapRecords)
      .where(eq(mapRecords.tenantId, scope.id)),
  );
  return { records: row?.records ?? 0, checksum: row?.checksum ?? "0" };
}

/** Removes every row of the tenant on one side (the source after a switch, the target after a rollback). */
export async function deleteAllRecords(db: Database, scope: TenantDataScope): Promise<void> {
  await withTenantData(db, scope, (tx) => tx.delete(mapRecords).where(eq(mapRecords.tenantId, scope.id)));
}
