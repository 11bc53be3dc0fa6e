import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { findTenantRow } from "../tenants/repository.ts";
import { byokAllowed, byokWrappingId } from "./byok.ts";
import { ensureTenantDataKey, loadMasterKeys, rewrapTenantDataKey, type DataKeyRow } from "./data-keys.ts";
import { masterWrappingKey, tenantWrappingKey } from "./envelope.ts";
import type { MasterKeyEnv } from "./master-keys.ts";
import { tenantDataKeys } from "./schema.ts";

async function tenantForByok(db: Database, tenantId: string, requireEnterprise: boolean) {
  const tenant = await findTenantRow(db, tenantId);
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  if (tenant.status === "deleted") throw new ApiError("conflict", "The tenant is deleted.");
  if (requireEnterprise && !byokAllowed(tenant.plan)) {
    throw new ApiError("upgrade_required", "Bringing your own wrapping key needs the enterprise plan.", { feature: "byok" });
  }
  return tenant;
}

/**
 * Re-wraps the tenant's data key (created first if it has none) under `to`, in one transaction
 * with the row locked. `current` is the tenant's present own key, required when it has one.
 */
async function rewrap(db: Database, env: MasterKeyEnv, tenantId: string, current: Uint8Array | undefined, to: CryptoKey, toId: string): Promise<DataKeyRow> {
  await ensureTenantDataKey(db, env, tenantId);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenantDataKeys).where(eq(tenantDataKeys.tenantId, tenantId)).for("update");
    if (!row) throw new Error(`data key of ${tenantId} vanished`);
    const wrappedKey = await rewrapTenantDataKey(row, env, current, to);
    const [updated] = await tx
      .update(tenantDataKeys)
      .set({ wrappedKey, wrappingKeyId: toId, rotatedAt: new Date() })
      .where(eq(tenantDataKeys.tenantId, tenantId))
      .returning();
    return updated!;
  });
}

/** Enterprise only. From then on the tenant's secrets open only with `key` presented per request. */
export async function useTenantWrappingKey(
  db: Database,
  env: MasterKeyEnv,
  tenantId: string,
  input: { keyId: string; key: Uint8Array; current: Uint8Array | undefined },
): Promise<DataKeyRow> {
  await tenantForByok(db, tenantId, true);
  return rewrap(db, env, tenantId, input.current, await tenantWrappingKey(input.key), byokWrappingId(input.keyId));
}

/** Back to the platform's master key (any plan, so a downgraded tenant can leave BYOK). */
export async function dropTenantWrappingKey(db: Database, env: MasterKeyEnv, tenantId: string, current: Uint8Array | undefined): Promise<DataKeyRow> {
  await tenantForByok(db, tenantId, false);
  const ring = await loadMasterKeys(env);
  return rewrap(db, env, tenantId, current, await masterWrappingKey(ring.current), ring.current.id);
}
