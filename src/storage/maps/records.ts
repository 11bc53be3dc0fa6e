import { and, asc, eq, gt, gte, lt, sql } from "drizzle-orm";
import type { TextQuery } from "../../db/text-query.ts";
import { mapRecords } from "../schema.ts";
import { HEADER_KEY } from "./headers.ts";
import type { MapsTx } from "./tx.ts";

/**
 * Queries on record rows. Every one names the tenant in its WHERE clause (or its row), whatever the
 * transaction's Postgres-side confinement: the two layers each suffice alone.
 */
export interface StoredRecord {
  key: string;
  value: unknown;
  version: number;
  updatedAt: Date;
}

const recordAt = (tenantId: string, map: string, key: string) =>
  and(eq(mapRecords.tenantId, tenantId), eq(mapRecords.map, map), eq(mapRecords.key, key));

// Read as text and parsed here: drizzle's jsonb decoder would turn the JSON string "123" into 123.
const valueText = sql<string>`${mapRecords.value}::text`;

/**
 * A record's GET as text, for the hot read path (`queryTenantData`): the same columns and condition
 * as `selectRecord`. Unqualified, so on the dedicated tier the tenant's `search_path` picks its own
 * schema's table.
 */
export function selectRecordQuery(tenantId: string, map: string, key: string): TextQuery {
  return {
    text: 'select "value"::text as "json", "version", "updated_at" as "updatedAt" from "map_records" where "tenant_id" = $1 and "map" = $2 and "key" = $3',
    params: [tenantId, map, key],
  };
}

/** The query of `readRecord`, unsent (to go into a batch); its rows become a record with `toStoredRecord`. */
export function selectRecord(tx: MapsTx, tenantId: string, map: string, key: string) {
  return tx
    .select({ json: valueText, version: mapRecords.version, updatedAt: mapRecords.updatedAt })
    .from(mapRecords)
    .where(recordAt(tenantId, map, key));
}

export function toStoredRecord(key: string, rows: Array<{ json: string; version: number | string; updatedAt: Date | string }>): StoredRecord | undefined {
  const [row] = rows;
  // From drizzle a Date and a number; from `selectRecordQuery`, as the driver reads them (in
  // workerd, Postgres's own text for the timestamp, which is how drizzle itself parses it).
  return row && { key, value: JSON.parse(row.json), version: Number(row.version), updatedAt: new Date(row.updatedAt) };
}

export async function readRecord(tx: MapsTx, tenantId: string, map: string, key: string): Promise<StoredRecord | undefined> {
  return toStoredRecord(key, await selectRecord(tx, tenantId, map, key));
}

export interface RecordRange {
  /** Only keys after this one (a cursor). */
  after?: string;
  /** Only keys starting with this text: `prefix <= key < prefixEnd`. */
  prefix?: { start: string; end: string | undefined };
  limit: number;
  /** A page stops once its records' bytes reach this (always after at least one record). */
  pageBytes: number;
}

export interface RecordPage {
  records: StoredRecord[];
  more: boolean;
}

/** Records in ascending byte order of the key (the columns are COLLATE "C"). */
export async function listRecords(tx: MapsTx, tenantId: string, map: string, range: RecordRange): Promise<RecordPage> {
  return toRecordPage(await selectRecordPage(tx, tenantId, map, range), range);
}

/** The query of `listRecords`, unsent (to go into a batch); its rows become a page with `toRecordPage`. */
export function selectRecordPage(tx: MapsTx, tenantId: string, map: string, range: RecordRange) {
  const after = range.after ?? HEADER_KEY;
  const conditions = [eq(mapRecords.tenantId, tenantId), eq(mapRecords.map, map), gt(mapRecords.key, after)];
  if (range.prefix) {
    conditions.push(gte(mapRecords.key, range.prefix.start));
    if (range.prefix.end !== undefined) conditions.push(lt(mapRecords.key, range.prefix.end));
  }
  // The bytes of the records before each one, so that values past the page budget are never read.
  const candidates = tx
    .select({
      key: mapRecords.key,
      value: mapRecords.value,
      version: mapRecords.version,
      updatedAt: mapRecords.updatedAt,
      before: sql<string>`coalesce(sum(${mapRecords.bytes}) over (order by ${mapRecords.key} rows between unbounded preceding and 1 preceding), 0)`.as(
        "before",
      ),
    })
    .from(mapRecords)
    .where(and(...conditions))
    .orderBy(asc(mapRecords.key))
    .limit(range.limit + 1)
    .as("candidates");
  return tx
    .select({
      key: candidates.key,
      json: sql<string | null>`case when ${candidates.before} < ${range.pageBytes} then ${candidates.value}::text end`,
      version: candidates.version,
      updatedAt: candidates.updatedAt,
    })
    .from(candidates)
    .orderBy(asc(candidates.key));
}

export function toRecordPage(rows: Array<{ key: string; json: string | null; version: number; updatedAt: Date }>, range: Pick<RecordRange, "limit">): RecordPage {
  const records: StoredRecord[] = [];
  for (const row of rows) {
    if (row.json === null || records.length === range.limit) break;
    records.push({ key: row.key, value: JSON.parse(row.json), version: row.version, updatedAt: row.updatedAt });
  }
  return { records, more: rows.length > records.length };
}
