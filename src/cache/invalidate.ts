import type { Redis } from "@upstash/redis/cloudflare";
import { credentialGenerationKey, tenantGenerationKey } from "./tenant-keys.ts";

/**
 * Cached copies in Upstash are stamped with a generation; bumping it makes every copy stale at
 * once, including one an edge is writing back right now from an older database read (a plain
 * DEL would lose that race). Edges keep a copy in the isolate for at most TENANT_CACHE_TTL_MS.
 */
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

async function bump(redis: Redis, key: string): Promise<void> {
  // Issued together, the two travel in one round trip (src/cache/redis.ts).
  await Promise.all([redis.incr(key), redis.expire(key, GENERATION_TTL_SECONDS)]);
}

/** Call after every committed change to a tenant (status, plan, overrides, isolation, deletion). */
export function invalidateTenant(redis: Redis, tenantId: string): Promise<void> {
  return bump(redis, tenantGenerationKey(tenantId));
}

/** Call after a key is revoked (pass its stored hash). */
export function invalidateCredential(redis: Redis, keyHash: string): Promise<void> {
  return bump(redis, credentialGenerationKey(keyHash));
}
