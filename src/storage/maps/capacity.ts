import { sql } from "drizzle-orm";
import { ApiError } from "../../http/problem.ts";
import type { Limits } from "../../core/plans.ts";
import { tenantStorage } from "./headers.ts";
import type { MapsTx } from "./tx.ts";

export type CapacityLimits = Pick<Limits, "maxMaps" | "maxStorageBytes">;

export interface CapacityChange {
  /** The write gave a map its first record. */
  createdMap: boolean;
  /** The write added bytes to the tenant's storage. */
  grewBytes: boolean;
}

/**
 * Checks `maxMaps` and `maxStorageBytes` after the write, inside its transaction, exactly under
 * concurrency. Only writes that can push a total up take the tenant's transaction-scoped advisory
 * lock, so they run their checks one at a time, each seeing every earlier one's committed result
 * (read committed: a new snapshot per statement, taken after the lock is granted) plus its own.
 * Shrinking writes and deletes skip it: they can only make a check stricter than it needed to be.
 * Lock order everywhere: record row, then map header row, then this lock; nothing is locked after it.
 */
export async function enforceCapacity(tx: MapsTx, tenantId: string, limits: CapacityLimits, change: CapacityChange): Promise<void> {
  const { maxMaps, maxStorageBytes } = limits;
  const checkMaps = change.createdMap && maxMaps !== null;
  const checkBytes = change.grewBytes && maxStorageBytes !== null;
  if (!checkMaps && !checkBytes) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tenantry.maps.capacity'), hashtext(${tenantId}))`);
  const storage = await tenantStorage(tx, tenantId);
  if (checkMaps && storage.maps > maxMaps) {
    throw new ApiError("limit_exceeded", `The tenant may have at most ${maxMaps} maps.`, { limit: maxMaps });
  }
  if (checkBytes && storage.bytes > maxStorageBytes) {
    throw new ApiError("limit_exceeded", `The tenant may store at most ${maxStorageBytes} bytes.`, { limit: maxStorageBytes });
  }
}
