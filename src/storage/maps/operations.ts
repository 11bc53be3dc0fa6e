import type { CapacityLimits } from "./capacity.ts";
import type { IfMatch } from "./etag.ts";
import { listMapHeaders, type MapSummary } from "./headers.ts";
import { prefixEnd } from "./key-range.ts";
import { listRecords, readRecord, type RecordPage, type RecordRange, type StoredRecord } from "./records.ts";
import type { MapsTx } from "./tx.ts";
import { utf8Length, type PreparedValue } from "./value.ts";
import { textToSql } from "../../db/text-query.ts";
import { deleteQuery, putQuery, rowsOf, toPutOutcome, toRemovedVersion, writeError } from "./write-statements.ts";

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

/** The one statement that stores `value` under the address (version 1, then +1 per write). */
export function entryPutQuery(tenant: MapsTenant, address: EntryAddress, value: PreparedValue, ifMatch?: IfMatch) {
  return putQuery({ tenantId: tenant.id, ...address }, { json: value.json, bytes: recordBytes(address.key, value) }, tenant.limits, ifMatch);
}

/** Stores `value` under the address in the caller's transaction (`entryPutQuery`). */
export async function putEntry(tx: MapsTx, tenant: MapsTenant, address: EntryAddress, value: PreparedValue, ifMatch?: IfMatch): Promise<EntryWrite> {
  try {
    return toPutOutcome(rowsOf(await tx.execute(textToSql(entryPutQuery(tenant, address, value, ifMatch)))));
  } catch (error) {
    throw writeError(error, tenant.limits);
  }
}

/** Deletes the record; its version before the deletion. One statement (`deleteQuery`). */
export async function deleteEntry(tx: MapsTx, tenant: MapsTenant, address: EntryAddress, ifMatch?: IfMatch): Promise<{ version: number }> {
  try {
    return { version: toRemovedVersion(rowsOf(await tx.execute(textToSql(deleteQuery({ tenantId: tenant.id, ...address }, ifMatch))))) };
  } catch (error) {
    throw writeError(error, tenant.limits);
  }
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
