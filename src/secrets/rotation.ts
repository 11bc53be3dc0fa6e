import { and, asc, count, eq, ne, notLike } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { EnvelopeError, masterWrappingKey, rewrapDataKey } from "./envelope.ts";
import { loadMasterKeys } from "./data-keys.ts";
import type { MasterKeyEnv } from "./master-keys.ts";
import { tenantDataKeys } from "./schema.ts";
import { log } from "../lib/log.ts";

export interface RotationReport {
  currentKeyId: string;
  previousKeyId: string | null;
  /** Data keys re-wrapped from the previous to the current master key by this call. */
  rewrapped: number;
  /** Data keys still wrapped by a master key other than the current one (BYOK keys never count). */
  remaining: number;
  /** Master key ids among `remaining` that this deployment does not hold: configure one as MASTER_KEY_PREVIOUS. */
  unknownKeyIds: string[];
  /** Tenants whose data key claims the previous key but does not unwrap with it (tampered rows). */
  failedTenantIds: string[];
}

/**
 * One batch of a master-key rotation: re-wraps up to `batchSize` data keys still wrapped by
 * MASTER_KEY_PREVIOUS under MASTER_KEY. Secrets are not touched: the data keys stay the same.
 * Idempotent and safe to run concurrently (rows are claimed with SKIP LOCKED). Call until
 * `remaining` is 0; only then may MASTER_KEY_PREVIOUS be removed.
 */
export async function rotateMasterKeyBatch(db: Database, env: MasterKeyEnv, batchSize: number): Promise<RotationReport> {
  const ring = await loadMasterKeys(env);
  const failedTenantIds: string[] = [];
  let rewrapped = 0;
  const previous = ring.previous;
  if (previous) {
    const from = await masterWrappingKey(previous);
    const to = await masterWrappingKey(ring.current);
    await db.transaction(async (tx) => {
      const rows = await tx
        .select({ tenantId: tenantDataKeys.tenantId, wrappedKey: tenantDataKeys.wrappedKey })
        .from(tenantDataKeys)
        .where(eq(tenantDataKeys.wrappingKeyId, previous.id))
        .orderBy(asc(tenantDataKeys.tenantId))
        .limit(batchSize)
        .for("update", { skipLocked: true });
      for (const row of rows) {
        let wrappedKey: string;
        try {
          wrappedKey = await rewrapDataKey(from, to, row.wrappedKey, row.tenantId);
        } catch (error) {
          if (!(error instanceof EnvelopeError)) throw error;
          failedTenantIds.push(row.tenantId);
          continue;
        }
        await tx
          .update(tenantDataKeys)
          .set({ wrappedKey, wrappingKeyId: ring.current.id, rotatedAt: new Date() })
          .where(and(eq(tenantDataKeys.tenantId, row.tenantId), eq(tenantDataKeys.wrappingKeyId, previous.id)));
        rewrapped++;
      }
    });
  }
  if (failedTenantIds.length > 0) {
    log.error("master key rotation: data keys that do not unwrap", { tenantIds: failedTenantIds });
  }

  const stale = await db
    .select({ wrappingKeyId: tenantDataKeys.wrappingKeyId, n: count() })
    .from(tenantDataKeys)
    .where(and(ne(tenantDataKeys.wrappingKeyId, ring.current.id), notLike(tenantDataKeys.wrappingKeyId, "byok:%")))
    .groupBy(tenantDataKeys.wrappingKeyId);
  return {
    currentKeyId: ring.current.id,
    previousKeyId: previous?.id ?? null,
    rewrapped,
    remaining: stale.reduce((sum, row) => sum + Number(row.n), 0),
    unknownKeyIds: stale.map((row) => row.wrappingKeyId).filter((id) => id !== previous?.id).sort(),
    failedTenantIds,
  };
}
