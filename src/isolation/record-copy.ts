import { and, asc, eq, gt, gte, inArray, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { mapRecords } from "../storage/schema.ts";
import { tenantScopeStatement, withTenantData, type TenantDataScope } from "../storage/tenant-data.ts";

/**
 * Moving a tenant's map records between its shared rows and its own schema, always through the
 * scoping statement of withTenantData on each side, so even the migration runs inside each side's
 * isolation. Every write is an idempotent upsert of the source's row: any step can run again.
 */
const PAGE = 500;

/**
 * A row as copied: the value stays JSON text end to end (drizzle's jsonb decoding is lossy for
 * strings), and so does `updated_at` (a JavaScript Date would drop its microseconds, and the final
 * sync compares the rows changed since a time on both sides).
 */
interface RecordRow {
  tenantId: string;
  map: string;
  key: string;
  value: string;
  version: number;
  bytes: number;
  updatedAt: string;
}

interface Position {
  map: string;
  key: string;
}

const after = (position: Position | undefined) =>
  position ? or(gt(mapRecords.map, position.map), and(eq(mapRecords.map, position.map), gt(mapRecords.key, position.key))) : undefined;

const since = (time: Date | undefined) => (time ? gte(mapRecords.updatedAt, time) : undefined);

/** One page of the tenant's rows (changed since `changedSince`, if given) in key order, in a transaction scoped to one side. */
function pageIn(tx: Transaction, tenantId: string, from: Position | undefined, changedSince?: Date): Promise<RecordRow[]> {
  return tx
    .select({
      tenantId: mapRecords.tenantId,
      map: mapRecords.map,
      key: mapRecords.key,
      value: sql<string>`${mapRecords.value}::text`,
      version: mapRecords.version,
      bytes: mapRecords.bytes,
      updatedAt: sql<string>`${mapRecords.updatedAt}::text`,
    })
    .from(mapRecords)
    .where(and(eq(mapRecords.tenantId, tenantId), after(from), since(changedSince)))
    .orderBy(asc(mapRecords.map), asc(mapRecords.key))
    .limit(PAGE);
}

async function upsert(tx: Transaction, rows: RecordRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(mapRecords)
    .values(rows.map((row) => ({ ...row, value: sql`${row.value}::jsonb`, updatedAt: sql`${row.updatedAt}::timestamptz` })))
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

const positionAfter = (rows: RecordRow[]): Position => ({ map: rows[rows.length - 1]!.map, key: rows[rows.length - 1]!.key });

/** Copies every row (or those changed since `changedSince`) from source to target; returns how many. */
export async function copyRecords(db: Database, source: TenantDataScope, target: TenantDataScope, changedSince?: Date): Promise<number> {
  let copied = 0;
  let position: Position | undefined;
  for (;;) {
    const rows = await withTenantData(db, source, (tx) => pageIn(tx, source.id, position, changedSince));
    if (rows.length === 0) return copied;
    await withTenantData(db, target, (tx) => upsert(tx, rows));
    copied += rows.length;
    position = positionAfter(rows);
    if (rows.length < PAGE) return copied;
  }
}

const keyOf = (row: { map: string; key: string }) => `${row.map}\u001f${row.key}`;

/** Deletes target rows the source no longer has (deletes made during the copy). */
export async function removeVanished(db: Database, source: TenantDataScope, target: TenantDataScope): Promise<number> {
  let removed = 0;
  let position: Position | undefined;
  for (;;) {
    const rows = await withTenantData(db, target, (tx) => pageIn(tx, target.id, position));
    if (rows.length === 0) return removed;
    const present = await withTenantData(db, source, (tx) =>
      tx
        .select({ map: mapRecords.map, key: mapRecords.key })
        .from(mapRecords)
        .where(and(eq(mapRecords.tenantId, source.id), inArray(sql`${mapRecords.map} || chr(31) || ${mapRecords.key}`, rows.map(keyOf)))),
    );
    const kept = new Set(present.map(keyOf));
    const gone = rows.filter((row) => !kept.has(keyOf(row)));
    if (gone.length > 0) {
      await withTenantData(db, target, (tx) => deleteKeys(tx, target.id, gone.map(keyOf)));
      removed += gone.length;
    }
    position = positionAfter(rows);
    if (rows.length < PAGE) return removed;
  }
}

async function deleteKeys(tx: Transaction, tenantId: string, keys: string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += PAGE) {
    const chunk = keys.slice(start, start + PAGE);
    await tx.delete(mapRecords).where(and(eq(mapRecords.tenantId, tenantId), inArray(sql`${mapRecords.map} || chr(31) || ${mapRecords.key}`, chunk)));
  }
}

export interface Fingerprint {
  records: number;
  checksum: string;
}

/** An order-independent checksum of (map, key, version, value, updated_at) over the rows it is summed on. */
const rowHash = sql<string>`('x' || substr(md5(${mapRecords.map} || chr(31) || ${mapRecords.key} || chr(31) || ${mapRecords.version}::text || chr(31) || ${mapRecords.value}::text || chr(31) || extract(epoch from ${mapRecords.updatedAt})::text), 1, 15))::bit(60)::bigint`;

/** Row count and checksum of the tenant's rows (changed since `changedSince`, if given) on the side `tx` is scoped to. */
async function fingerprintIn(tx: Transaction, tenantId: string, changedSince?: Date): Promise<Fingerprint> {
  const [row] = await tx
    .select({ records: sql<number>`count(*)::int`, checksum: sql<string>`coalesce(sum(${rowHash}), 0)::text` })
    .from(mapRecords)
    .where(and(eq(mapRecords.tenantId, tenantId), since(changedSince)));
  return { records: row?.records ?? 0, checksum: row?.checksum ?? "0" };
}

export async function fingerprint(db: Database, scope: TenantDataScope, changedSince?: Date): Promise<Fingerprint> {
  return withTenantData(db, scope, (tx) => fingerprintIn(tx, scope.id, changedSince));
}

/** How many rows the tenant has on one side: an index-only count, no row is read. */
export async function countRecords(db: Database, scope: TenantDataScope): Promise<number> {
  const [row] = await withTenantData(db, scope, (tx) =>
    tx.select({ records: sql<number>`count(*)::int` }).from(mapRecords).where(eq(mapRecords.tenantId, scope.id)),
  );
  return row?.records ?? 0;
}

export class VerificationFailed extends Error {
  constructor(what: string, source: Fingerprint, target: Fingerprint) {
    super(`verification failed (${what}): source ${source.records} records (${source.checksum}), target ${target.records} (${target.checksum})`);
    this.name = "VerificationFailed";
  }
}

/**
 * The full verification, while writes go on: one repeatable-read transaction reads the source as of
 * its snapshot, brings the target level with it (rows changed since `changedSince`, and deletes), and
 * compares every row of both sides. It commits only if they match, so afterwards the target equals
 * the source as of that snapshot, which is what `verifyFinalDelta` builds on. O(records), outside the
 * write pause. The scoping statement switches sides inside the transaction (the migration's role is
 * a member of both sides' roles); the snapshot stays the same.
 */
export async function syncAndVerify(db: Database, source: TenantDataScope, target: TenantDataScope, changedSince: Date): Promise<Fingerprint> {
  return db.transaction(
    async (tx) => {
      let position: Position | undefined;
      for (;;) {
        await tx.execute(tenantScopeStatement(source));
        const rows = await pageIn(tx, source.id, position, changedSince);
        if (rows.length === 0) break;
        await tx.execute(tenantScopeStatement(target));
        await upsert(tx, rows);
        position = positionAfter(rows);
        if (rows.length < PAGE) break;
      }
      await tx.execute(tenantScopeStatement(source));
      const sourceKeys = new Set((await tx.select({ map: mapRecords.map, key: mapRecords.key }).from(mapRecords).where(eq(mapRecords.tenantId, source.id))).map(keyOf));
      const left = await fingerprintIn(tx, source.id);
      await tx.execute(tenantScopeStatement(target));
      const targetKeys = await tx.select({ map: mapRecords.map, key: mapRecords.key }).from(mapRecords).where(eq(mapRecords.tenantId, target.id));
      await deleteKeys(tx, target.id, targetKeys.map(keyOf).filter((key) => !sourceKeys.has(key)));
      const right = await fingerprintIn(tx, target.id);
      if (left.records !== right.records || left.checksum !== right.checksum) throw new VerificationFailed("full", left, right);
      return left;
    },
    { isolationLevel: "repeatable read" },
  );
}

/**
 * The last copy and its proof, inside the write pause: the source no longer changes. Copies the rows
 * changed since `copiedSince`, then proves the target equals the source with work that grows with
 * what changed since the full verification (`verifiedSince`), not with the tenant:
 * - since then the target was written only by this migration, so a row it has from before
 *   `verifiedSince` is still as verified unless the source changed or deleted it since;
 * - the rows changed since `verifiedSince` are compared by checksum on both sides;
 * - a delete leaves the target one row more than the source (it has every source key after the
 *   copy), so equal counts (index-only) prove no delete was missed; only when they differ are the
 *   vanished rows looked for.
 * Throws VerificationFailed on any difference (the caller rolls back: nothing was switched).
 */
export async function syncAndVerifyFinalDelta(
  db: Database,
  source: TenantDataScope,
  target: TenantDataScope,
  copiedSince: Date,
  /** Undefined for a migration recorded before full verification moved out of the pause: then everything is compared. */
  verifiedSince: Date | undefined,
): Promise<Fingerprint> {
  await copyRecords(db, source, target, copiedSince);
  let [sourceCount, targetCount] = await Promise.all([countRecords(db, source), countRecords(db, target)]);
  if (targetCount > sourceCount) {
    await removeVanished(db, source, target);
    targetCount = await countRecords(db, target);
  }
  const [left, right] = await Promise.all([fingerprint(db, source, verifiedSince), fingerprint(db, target, verifiedSince)]);
  if (sourceCount !== targetCount || left.records !== right.records || left.checksum !== right.checksum) {
    throw new VerificationFailed("final delta", { records: sourceCount, checksum: left.checksum }, { records: targetCount, checksum: right.checksum });
  }
  return { records: sourceCount, checksum: left.checksum };
}

/**
 * Test hook (`migration:diverge`): changes the value of the target's oldest record as a stray write
 * would, so the target no longer equals the source. The final verification must refuse to switch.
 */
export async function divergeOneRow(db: Database, scope: TenantDataScope): Promise<void> {
  await withTenantData(db, scope, (tx) =>
    tx.execute(sql`
      update map_records set value = '"diverged"'::jsonb, updated_at = now()
      where tenant_id = ${scope.id} and (map, key) = (select map, key from map_records where tenant_id = ${scope.id} and key <> '' order by updated_at, map, key limit 1)`),
  );
}

/** Removes every row of the tenant on one side (the source after a switch, the target after a rollback). */
export async function deleteAllRecords(db: Database, scope: TenantDataScope): Promise<void> {
  await withTenantData(db, scope, (tx) => tx.delete(mapRecords).where(eq(mapRecords.tenantId, scope.id)));
}
