import type { Database } from "../../db/client.ts";
import type { HttpDatabase } from "../../db/client.ts";
import type { TenantContext } from "../../core/tenant-context.ts";
import { queryTenantData, readTenantData, withTenantData } from "../tenant-data.ts";
import type { IfMatch } from "./etag.ts";
import { selectMapHeaders, tenantStorage, toMapSummaries, type MapSummary, type TenantStorage } from "./headers.ts";
import { deleteEntry, entryPutQuery, getEntry, listEntries, listMaps, listRange, putEntry, type EntryAddress, type EntryWrite, type ListOptions } from "./operations.ts";
import { selectRecordPage, selectRecordQuery, toRecordPage, toStoredRecord, type RecordPage, type StoredRecord } from "./records.ts";
import type { PreparedValue } from "./value.ts";
import { deleteQuery, toPutOutcome, toRemovedVersion, writeError } from "./write-statements.ts";

/**
 * The Maps store for one tenant: each call is one transaction confined to the tenant by Postgres
 * (RLS on the shared tier, the tenant's own role and schema on the dedicated tier). REST routes and
 * realtime use the same calls; publishing change events after a commit is the caller's job.
 */
export interface MapStore {
  put(address: EntryAddress, value: PreparedValue, ifMatch?: IfMatch): Promise<EntryWrite>;
  get(address: EntryAddress): Promise<StoredRecord | undefined>;
  delete(address: EntryAddress, ifMatch?: IfMatch): Promise<{ version: number }>;
  list(map: string, options: ListOptions): Promise<RecordPage>;
  maps(): Promise<MapSummary[]>;
  /** Maps and bytes in use now (for `maxStorageBytes` and billing). */
  storage(): Promise<TenantStorage>;
}

/**
 * With `http`, every call goes over Neon's HTTP endpoint: the scoping statement and one statement
 * (a query, or a write function's call) in one batch, one round trip, no connection to open.
 * Without it (the runtime object's realtime frames, tests), each call is a WebSocket transaction.
 * `db` is asked for only by a call that needs one, so a call over `http` never opens a pool.
 */
export function mapStore(db: () => Database, tenant: Pick<TenantContext, "id" | "isolation" | "limits">, http?: HttpDatabase): MapStore {
  const scope = { id: tenant.id, isolation: tenant.isolation };
  const owner = { id: tenant.id, limits: tenant.limits };
  return {
    put: async (address, value, ifMatch) => {
      if (!http) return withTenantData(db(), scope, (tx) => putEntry(tx, owner, address, value, ifMatch));
      const query = entryPutQuery(owner, address, value, ifMatch);
      return toPutOutcome(await queryTenantData(http, scope, query).catch((error: unknown) => Promise.reject(writeError(error, tenant.limits))));
    },
    get: async (address) =>
      http
        ? toStoredRecord(address.key, await queryTenantData(http, scope, selectRecordQuery(tenant.id, address.map, address.key)))
        : withTenantData(db(), scope, (tx) => getEntry(tx, tenant.id, address)),
    delete: async (address, ifMatch) => {
      if (!http) return withTenantData(db(), scope, (tx) => deleteEntry(tx, owner, address, ifMatch));
      const query = deleteQuery({ tenantId: tenant.id, ...address }, ifMatch);
      return { version: toRemovedVersion(await queryTenantData(http, scope, query).catch((error: unknown) => Promise.reject(writeError(error, tenant.limits)))) };
    },
    list: async (map, options) => {
      if (!http) return withTenantData(db(), scope, (tx) => listEntries(tx, tenant.id, map, options));
      const range = listRange(options);
      return toRecordPage(await readTenantData(http, scope, selectRecordPage(http, tenant.id, map, range)), range);
    },
    maps: async () =>
      http ? toMapSummaries(await readTenantData(http, scope, selectMapHeaders(http, tenant.id))) : withTenantData(db(), scope, (tx) => listMaps(tx, tenant.id)),
    storage: () => withTenantData(db(), scope, (tx) => tenantStorage(tx, tenant.id)),
  };
}
