import type { Database } from "../../db/client.ts";
import type { TenantContext } from "../../core/tenant-context.ts";
import { withTenantData } from "../tenant-data.ts";
import type { IfMatch } from "./etag.ts";
import { tenantStorage, type MapSummary, type TenantStorage } from "./headers.ts";
import { deleteEntry, getEntry, listEntries, listMaps, putEntry, type EntryAddress, type EntryWrite, type ListOptions } from "./operations.ts";
import type { RecordPage, StoredRecord } from "./records.ts";
import type { PreparedValue } from "./value.ts";

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

export function mapStore(db: Database, tenant: Pick<TenantContext, "id" | "isolation" | "limits">): MapStore {
  const scope = { id: tenant.id, isolation: tenant.isolation };
  const owner = { id: tenant.id, limits: tenant.limits };
  return {
    put: (address, value, ifMatch) => withTenantData(db, scope, (tx) => putEntry(tx, owner, address, value, ifMatch)),
    get: (address) => withTenantData(db, scope, (tx) => getEntry(tx, tenant.id, address)),
    delete: (address, ifMatch) => withTenantData(db, scope, (tx) => deleteEntry(tx, owner, address, ifMatch)),
    list: (map, options) => withTenantData(db, scope, (tx) => listEntries(tx, tenant.id, map, options)),
    maps: () => withTenantData(db, scope, (tx) => listMaps(tx, tenant.id)),
    storage: () => withTenantData(db, scope, (tx) => tenantStorage(tx, tenant.id)),
  };
}
