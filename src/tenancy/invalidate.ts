import type { Redis } from "@upstash/redis/cloudflare";
import { credentialCacheKey, tenantCacheKey } from "./cache-keys.ts";

/**
 * Call after every committed change to a tenant (status, plan, overrides, isolation, deletion).
 * Edges hold a copy for at most TENANT_CACHE_TTL_MS (1 s) in the isolate; this drops the shared copy.
 */
export async function invalidateTenant(redis: Redis, tenantId: string): Promise<void> {
  await redis.del(tenantCacheKey(tenantId));
}

/** Call after a key is revoked (pass its stored hash). */
export async function invalidateCredential(redis: Redis, keyHash: string): Promise<void> {
  await redis.del(credentialCacheKey(keyHash));
}
