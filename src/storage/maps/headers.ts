import { and, asc, eq, gt, ne, sql } from "drizzle-orm";
import { mapRecords } from "../schema.ts";
import type { MapsTx } from "./tx.ts";

/**
 * Each map has one header row in the records table, under the key "" (which no record can have:
 * keys are 1–512 code points). Its `version` is the map's record count and `value.bytes` the sum of
 * its records' `bytes` (jsonb, because a map may outgrow a 32-bit integer). Living in the same table,
 * the header shares the record's isolation (RLS or the dedicated schema) and its transaction, so
 * counts are exact and `GET /v1/maps`, `maxMaps` and `maxStorageBytes` cost O(maps), not O(records).
 * The header disappears with the map's last record. Writes keep it in the database functions of
 * migration 0012 (`tenantry_maps.settle`). Anything that copies rows verbatim (tier
 * migration) copies headers too; anything that writes records another way must call
 * `rebuildMapHeaders` afterwards.
 */
export const HEADER_KEY = "";

const headerBytes = sql<string>`(${mapRecords.value}->>'bytes')::bigint`;

const headersOf = (tenantId: string) => and(eq(mapRecords.tenantId, tenantId), eq(mapRecords.key, HEADER_KEY), gt(mapRecords.version, 0));

export interface MapSummary {
  name: string;
  count: number;
  bytes: number;
}

export async function listMapHeaders(tx: MapsTx, tenantId: string): Promise<MapSummary[]> {
  return toMapSummaries(await selectMapHeaders(tx, tenantId));
}

/** The query of `listMapHeaders`, unsent (to go into a batch). */
export function selectMapHeaders(tx: MapsTx, tenantId: string) {
  return tx
    .select({ name: mapRecords.map, count: mapRecords.version, bytes: headerBytes })
    .from(mapRecords)
    .where(headersOf(tenantId))
    .orderBy(asc(mapRecords.map));
}

export function toMapSummaries(rows: Array<{ name: string; count: number; bytes: unknown }>): MapSummary[] {
  return rows.map((row) => ({ name: row.name, count: row.count, bytes: Number(row.bytes) }));
}

export interface TenantStorage {
  maps: number;
  bytes: number;
}

/** The tenant's number of maps and stored bytes, as this transaction sees them. */
export async function tenantStorage(tx: MapsTx, tenantId: string): Promise<TenantStorage> {
  const [row] = await tx
    .select({ maps: sql<number>`count(*)::int`, bytes: sql<string>`coalesce(sum(${headerBytes}), 0)::text` })
    .from(mapRecords)
    .where(headersOf(tenantId));
  return { maps: row?.maps ?? 0, bytes: Number(row?.bytes ?? 0) };
}

/** Recomputes every header of the tenant from its records (after a bulk load that bypassed the store). */
export async function rebuildMapHeaders(tx: MapsTx, tenantId: string): Promise<void> {
  await tx.delete(mapRecords).where(and(eq(mapRecords.tenantId, tenantId), eq(mapRecords.key, HEADER_KEY)));
  await tx.insert(mapRecords).select(
    tx
      .select({
        tenantId: mapRecords.tenantId,
        map: mapRecords.map,
        key: sql<string>`${HEADER_KEY}::text`.as("key"),
        value: sql`jsonb_build_object('bytes', sum(${mapRecords.bytes}))`.as("value"),
        version: sql<number>`count(*)::int`.as("version"),
        bytes: sql<number>`0`.as("bytes"),
        updatedAt: sql<Date>`now()`.as("updated_at"),
      })
      .from(mapRecords)
      .where(and(eq(mapRecords.tenantId, tenantId), ne(mapRecords.key, HEADER_KEY)))
      .groupBy(mapRecords.tenantId, mapRecords.map),
  );
}
