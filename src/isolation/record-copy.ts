import { and, asc, eq, gt, gte, inArray, or, sql } from "drizzle-orm";
import type { Database, HttpDatabase, Transaction } from "../db/client.ts";
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

/** A record as copied: value and time as text, so nothing is lost in a JavaScript round trip. */
const RECORD_COLUMNS = {
  tenantId: mapRecords.tenantId,
  map: mapRecords.map,
  key: mapRecords.key,
  value: sql<string>`${mapRecords.value}::text`,
  version: mapRecords.version,
  bytes: mapRecords.bytes,
  updatedAt: sql<string>`${mapRecords.updatedAt}::text`,
};

const pageWhere = (tenantId: string, from: Position | undefined, changedSince: Date | undefined) =>
  and(eq(mapRecords.tenantId, tenantId), after(from), since(changedSince));

/** One page of the tenant's rows (changed since `changedSince`, if given) in key order, in a transaction scoped to one side. */
function pageIn(tx: Transaction, tenantId: string, from: Position | undefined, changedSince?: Date): Promise<RecordRow[]> {
  return tx
    .select(RECORD_COLUMNS)
    .from(mapRecords)
    .where(pageWhere(tenantId, from, changedSince))
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

const keysOf = async (tx: Transaction, tenantId: string) =>
  (await tx.select({ map: mapRecords.map, key: mapRecords.key }).from(mapRecords).where(eq(mapRecords.tenantId, tenantId))).map(keyOf);

/** Deletes the target rows the source no longer has (deletes made meanwhile), in a transaction that switches sides; leaves it scoped to the target. */
async function removeVanishedIn(tx: Transaction, source: TenantDataScope, target: TenantDataScope): Promise<void> {
  await tx.execute(tenantScopeStatement(source));
  const sourceKeys = new Set(await keysOf(tx, source.id));
  await tx.execute(tenantScopeStatement(target));
  await deleteKeys(tx, target.id, (await keysOf(tx, target.id)).filter((key) => !sourceKeys.has(key)));
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
      await removeVanishedIn(tx, source, target);
      await tx.execute(tenantScopeStatement(source));
      const left = await fingerprintIn(tx, source.id);
      await tx.execute(tenantScopeStatement(target));
      const right = await fingerprintIn(tx, target.id);
      if (left.records !== right.records || left.checksum !== right.checksum) throw new VerificationFailed("full", left, right);
      return left;
    },
    { isolationLevel: "repeatable read" },
  );
}

interface SideSummary {
  records: number;
  changed: Fingerprint;
}

/**
 * The side's row count (index-only; with `total` false, 0: the caller knows it) and the checksum of
 * its rows changed since `changedSince`, as one statement.
 */
function summaryStatement(tenantId: string, changedSince: Date | undefined, total = true) {
  const all = total ? sql`select count(*) from ${mapRecords} where ${eq(mapRecords.tenantId, tenantId)}` : sql`select 0`;
  const changed = and(eq(mapRecords.tenantId, tenantId), since(changedSince));
  return sql`
    select (${all})::int as records,
           (select count(*) from ${mapRecords} where ${changed})::int as changed,
           (select coalesce(sum(${rowHash}), 0) from ${mapRecords} where ${changed})::text as checksum`;
}

const summaryOf = (result: { rows: Record<string, unknown>[] }): SideSummary => {
  const row = result.rows[0]!;
  return { records: Number(row.records), changed: { records: Number(row.changed), checksum: String(row.checksum) } };
};

/** The tenant's row count on one side, in one trip: O(records), so taken while writes still flow. */
export async function countRecords(http: HttpDatabase, scope: TenantDataScope): Promise<number> {
  const [, result] = await http.batch([http.execute(tenantScopeStatement(scope)), http.execute(sql`select count(*)::int as records from ${mapRecords} where ${eq(mapRecords.tenantId, scope.id)}`)] as const);
  return Number(result.rows[0]!.records);
}

async function summarizeIn(tx: Transaction, tenantId: string, changedSince: Date | undefined): Promise<SideSummary> {
  return summaryOf(await tx.execute(summaryStatement(tenantId, changedSince)));
}

/** pageIn over HTTP: one statement of a batch that starts with the side's scoping statement. */
function pageOverHttp(http: HttpDatabase, tenantId: string, from: Position | undefined, changedSince: Date) {
  return http
    .select(RECORD_COLUMNS)
    .from(mapRecords)
    .where(pageWhere(tenantId, from, changedSince))
    .orderBy(asc(mapRecords.map), asc(mapRecords.key))
    .limit(PAGE);
}

/** The upsert of `upsert`, over HTTP, saying of each row whether it was new (xmax = 0: inserted, not updated). */
function upsertOverHttp(http: HttpDatabase, rows: RecordRow[]) {
  return http
    .insert(mapRecords)
    .values(rows.map((row) => ({ ...row, value: sql`${row.value}::jsonb`, updatedAt: sql`${row.updatedAt}::timestamptz` })))
    .onConflictDoUpdate({
      target: [mapRecords.tenantId, mapRecords.map, mapRecords.key],
      set: { value: sql`excluded.value`, version: sql`excluded.version`, bytes: sql`excluded.bytes`, updatedAt: sql`excluded.updated_at` },
    })
    .returning({ inserted: sql<number>`(xmax = 0)::int` });
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
 * Writes wait for every round trip here, so it is two HTTP batches (each one transaction, one trip):
 * the source's delta and checksum, then the target's upsert and checksum, with the source's count
 * beside them. The source is frozen (writes paused and drained), so no two of these need a shared
 * snapshot. The target's count, O(records), may
 * be given (`targetRecords`, counted while writes still flowed: only this migration writes the target);
 * then the target's is that count plus the rows the upsert inserted. A wrong sum can only be too large
 * (an updated row taken for an inserted one), which leads to the exact recount below, never to a
 * delete missed. Throws VerificationFailed on any difference (the caller rolls back: nothing was
 * switched).
 */
export async function syncAndVerifyFinalDelta(
  db: Database,
  http: HttpDatabase,
  source: TenantDataScope,
  target: TenantDataScope,
  copiedSince: Date,
  /** Undefined for a migration recorded before full verification moved out of the pause: then everything is compared. */
  verifiedSince: Date | undefined,
  /** The target's row count before this copy, if known (see above). */
  targetRecords?: number,
  /** Told when the counts differed and the vanished rows were looked for (diagnostics). */
  onRecount?: () => void,
): Promise<Fingerprint> {
  // The source's count, O(records), runs beside the copy rather than before it: the source is frozen.
  const sourceRecords = countRecords(http, source);
  sourceRecords.catch(() => undefined); // awaited below; not unhandled if the copy fails first
  const [, firstPage, sourceSummary] = await http.batch([
    http.execute(tenantScopeStatement(source)),
    pageOverHttp(http, source.id, undefined, copiedSince),
    http.execute(summaryStatement(source.id, verifiedSince, false)),
  ] as const);
  const rows: RecordRow[] = [...firstPage];
  // More than a page changed (a writer faster than the catch-up): the rest, a page a trip.
  for (let page = firstPage; page.length === PAGE; ) {
    [, page] = await http.batch([http.execute(tenantScopeStatement(source)), pageOverHttp(http, source.id, positionAfter(page), copiedSince)] as const);
    rows.push(...page);
  }
  const upserts = [];
  for (let start = 0; start < rows.length; start += PAGE) upserts.push(upsertOverHttp(http, rows.slice(start, start + PAGE)));
  const counted = targetRecords === undefined;
  const [, ...results] = await http.batch([http.execute(tenantScopeStatement(target)), ...upserts, http.execute(summaryStatement(target.id, verifiedSince, counted))]);
  let right = summaryOf(results.pop() as { rows: Record<string, unknown>[] });
  if (!counted) {
    const inserted = (results as Array<Array<{ inserted: unknown }>>).flat().filter((row) => Number(row.inserted) === 1).length;
    right = { ...right, records: targetRecords + inserted };
  }
  const left = { ...summaryOf(sourceSummary), records: await sourceRecords };
  if (right.records > left.records) {
    // A delete since the full verification (or an over-count, above): find the vanished rows (a scan of the tenant's keys) and count again.
    onRecount?.();
    right = await db.transaction(async (tx) => {
      await removeVanishedIn(tx, source, target);
      return summarizeIn(tx, target.id, verifiedSince);
    });
  }
  if (left.records !== right.records || left.changed.records !== right.changed.records || left.changed.checksum !== right.changed.checksum) {
    throw new VerificationFailed("final delta", { records: left.records, checksum: left.changed.checksum }, { records: right.records, checksum: right.changed.checksum });
  }
  return { records: left.records, checksum: left.changed.checksum };
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
