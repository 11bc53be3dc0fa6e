import type { Limits } from "../../core/plans.ts";

/**
 * The limits a map write checks. The check itself runs in the write's database function
 * (`tenantry_maps.settle`, migration 0012), inside its transaction, exactly under concurrency: only
 * writes that can push a total up take the tenant's transaction-scoped advisory lock, so they run
 * their checks one at a time, each seeing every earlier one's committed result (read committed: a
 * new snapshot per statement, taken after the lock is granted) plus its own. Shrinking writes and
 * deletes skip it: they can only make a check stricter than it needed to be. Lock order everywhere:
 * record row, then map header row, then this lock; nothing is locked after it.
 */
export type CapacityLimits = Pick<Limits, "maxMaps" | "maxStorageBytes">;
