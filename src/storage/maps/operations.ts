import { ApiError } from "../../http/problem.ts";
import { enforceCapacity, type CapacityLimits } from "./capacity.ts";
import { ifMatchHolds, type IfMatch } from "./etag.ts";
import { adjustMapHeader, listMapHeaders, type MapSummary } from "./headers.ts";
import { prefixEnd } from "./key-range.ts";
import { insertRecord, listRecords, lockRecord, readRecord, removeRecord, updateRecord, type RecordPage, type RecordRange, type StoredRecord } from "./records.ts";
import type { MapsTx } from "./tx.ts";
import { utf8Length, type PreparedValue } from "./value.ts";

/**
 * The Maps operations, each run inside one transaction the caller opened (in the Worker: one
 * `withTenantData` transaction, confined to the tenant by Postgres). The tenant id comes from the
 * credential's tenant context only.
 */
export interface MapsTenant {
  id: string;
  limits: CapacityLimits;
}

export interface EntryAddress {
  map: string;
  key: string;
}

export interface EntryWrite {
  version: number;
  updatedAt: Date;
  created: boolean;
}

/** How a record counts against `maxStorageBytes`: the UTF-8 bytes of its key and of its value's compact JSON. */
export function recordBytes(key: string, value: PreparedValue): number {
  return utf8Length(key) + value.bytes;
}

function versionConflict(): ApiError {
  return new ApiError("version_conflict", "If-Match does not match the record's current version (or the record does not exist).");
}

async function settle(tx: MapsTx, tenant: MapsTenant, map: string, records: number, bytes: number): Promise<void> {
  if (records === 0 && bytes === 0) return;
  const count = await adjustMapHeader(tx, tenant.id, map, records, bytes);
  await enforceCapacity(tx, tenant.id, tenant.limits, { createdMap: records > 0 && count === records, grewBytes: bytes > 0 });
}

// Creating races with creating (insert finds the key taken) and with deleting; a few rounds settle
// it even when dozens of writers hit the same keys at once.
const WRITE_ATTEMPTS = 8;

export async function putEntry(tx: MapsTx, tenant: MapsTenant, address: EntryAddress, value: PreparedValue, ifMatch?: IfMatch): Promise<EntryWrite> {
  const { map, key } = address;
  const content = { json: value.json, bytes: recordBytes(key, value) };
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await lockRecord(tx, tenant.id, map, key);
    if (ifMatch && !ifMatchHolds(ifMatch, current?.version)) throw versionConflict();
    if (current) {
      const written = await updateRecord(tx, tenant.id, map, key, content, current.version + 1);
      if (!written) throw new Error("a locked record vanished");
      await settle(tx, tenant, map, 0, content.bytes - current.bytes);
      return { ...written, created: false };
    }
    const created = await insertRecord(tx, tenant.id, map, key, content);
    if (created) {
      await settle(tx, tenant, map, 1, content.bytes);
      return { ...created, created: true };
    }
  }
  throw new ApiError("unavailable", "The key is being written concurrently; retry.", { retryAfterMs: 100 });
}

export async function deleteEntry(tx: MapsTx, tenant: MapsTenant, address: EntryAddress, ifMatch?: IfMatch): Promise<{ version: number }> {
  const { map, key } = address;
  if (ifMatch) {
    const current = await lockRecord(tx, tenant.id, map, key);
    if (!ifMatchHolds(ifMatch, current?.version)) throw versionConflict();
  }
  const removed = await removeRecord(tx, tenant.id, map, key);
  if (!removed) throw new ApiError("not_found", "No such key in this map.");
  await settle(tx, tenant, map, -1, -removed.bytes);
  return { version: removed.version };
}

export function getEntry(tx: MapsTx, tenantId: string, address: EntryAddress): Promise<StoredRecord | undefined> {
  return readRecord(tx, tenantId, address.map, address.key);
}

export interface ListOptions {
  prefix: string;
  after: string | undefined;
  limit: number;
}

/** A list page holds at most this many bytes of records (at least one record): values may be 1 MiB each. */
export const LIST_PAGE_BYTES = 4 * 1024 * 1024;

export function listEntries(tx: MapsTx, tenantId: string, map: string, options: ListOptions): Promise<RecordPage> {
  return listRecords(tx, tenantId, map, listRange(options));
}

export function listRange(options: ListOptions): RecordRange {
  return {
    after: options.after,
    prefix: options.prefix === "" ? undefined : { start: options.prefix, end: prefixEnd(options.prefix) },
    limit: options.limit,
    pageBytes: LIST_PAGE_BYTES,
  };
}

export function listMaps(tx: MapsTx, tenantId: string): Promise<MapSummary[]> {
  return listMapHeaders(tx, tenantId);
}
