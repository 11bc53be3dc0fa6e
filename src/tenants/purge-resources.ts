import { eq } from "drizzle-orm";
import type { Services } from "../services/open-services.ts";
import type { Isolation } from "../core/plans.ts";
import { withTimeout } from "../lib/with-timeout.ts";
import { dropDedicatedSchema } from "../storage/dedicated-schema.ts";
import { mapRecords } from "../storage/schema.ts";
import { withTenantData } from "../storage/tenant-data.ts";
import { credentialCacheKey, credentialGenerationKey, tenantNamespace } from "../cache/tenant-keys.ts";
import { runtimeFor, type RuntimePlacement } from "../../durable-objects/tenant-runtime/stub.ts";

const SCAN_COUNT = 500;
const DEL_CHUNK = 500;

async function deleteKeys(services: Services, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DEL_CHUNK) await services.redis.del(...keys.slice(i, i + DEL_CHUNK));
}

/** Every Upstash key of the tenant: its namespace, and the cached credentials of its keys. */
async function purgeRedisKeys(services: Services, tenantId: string, keyHashes: readonly string[]): Promise<void> {
  const namespace = tenantNamespace(tenantId);
  let cursor = "0";
  do {
    const [next, keys] = await services.redis.scan(cursor, { match: `${namespace}:*`, count: SCAN_COUNT });
    await deleteKeys(services, keys);
    cursor = String(next);
  } while (cursor !== "0");
  await deleteKeys(services, [namespace, ...keyHashes.flatMap((hash) => [credentialCacheKey(hash), credentialGenerationKey(hash)])]);
}

/**
 * Everything a tenant has outside its own rows: runtime state, Upstash keys, the dedicated schema
 * and role, and its map records in the shared tables. Idempotent; throws if any part fails, so the
 * caller keeps the tenant row (and retries) until all of it is gone.
 */
export async function purgeTenantResources(env: Env, services: Services, tenant: RuntimePlacement, keyHashes: readonly string[]): Promise<void> {
  await withTimeout(runtimeFor(env, tenant).purge(tenant.id), 5000, "runtime purge");
  await purgeRedisKeys(services, tenant.id, keyHashes);
  // Always: a tenant demoted from dedicated may have left a schema behind; dropping is a no-op otherwise.
  await dropDedicatedSchema(services.db, tenant.id);
  // Shared rows are visible only through the tenant's own row-level-security scope.
  const shared: { id: string; isolation: Isolation } = { id: tenant.id, isolation: "shared" };
  await withTenantData(services.db, shared, (tx) => tx.delete(mapRecords).where(eq(mapRecords.tenantId, tenant.id)));
}
