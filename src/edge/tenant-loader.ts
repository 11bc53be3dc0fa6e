import { eq } from "drizzle-orm";
import type { HttpDatabase } from "../db/client.ts";
import { tenantCacheKey, tenantGenerationKey, credentialCacheKey, credentialGenerationKey } from "../cache/tenant-keys.ts";
import { contextFromRow } from "../core/context-from-row.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import { tenants } from "../core/tenant-table.ts";
import type { Services } from "../services/open-services.ts";
import { cachedLookup, type CachedLookup } from "./cached-lookup.ts";
import { IsolateCache } from "./isolate-cache.ts";
import { loadKeyRecord, type KeyRecord } from "./key-lookup.ts";

// The contract promises every change at every edge within 1 s. An entry is never older than this,
// counted from when its read was sent (src/edge/cached-lookup.ts); the rest of the second is margin.
const DEFAULT_TTL_MS = 750;
let tenantCache: IsolateCache<TenantContext | null> | undefined;
let keyCache: IsolateCache<KeyRecord | null> | undefined;

function ttl(env: Env): number {
  const value = Number(env.TENANT_CACHE_TTL_MS);
  return Number.isFinite(value) && value >= 0 && value <= 1000 ? value : DEFAULT_TTL_MS;
}

export function tenantContextCache(env: Env) {
  return (tenantCache ??= new IsolateCache(ttl(env)));
}

export function keyRecordCache(env: Env) {
  return (keyCache ??= new IsolateCache(ttl(env)));
}

// A miss at both caches (a new credential, or any change: a migration's switch invalidates every
// edge's copy) reads Postgres over Neon's HTTP endpoint: one round trip, no connection to open.
async function loadTenantContext(db: HttpDatabase, tenantId: string): Promise<TenantContext | null> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row ? contextFromRow(row) : null;
}

/** A tenant's context through the isolate, Upstash and Postgres. */
export function tenantLookup(env: Env, services: Services, tenantId: string): CachedLookup<TenantContext> {
  return {
    isolate: tenantContextCache(env),
    isolateKey: tenantId,
    copyKey: tenantCacheKey(tenantId),
    genKey: tenantGenerationKey(tenantId),
    load: () => loadTenantContext(services.dbHttp, tenantId),
  };
}

/** An API key's record (by its hash) through the isolate, Upstash and Postgres. */
export function keyLookup(env: Env, services: Services, keyHash: string): CachedLookup<KeyRecord> {
  return {
    isolate: keyRecordCache(env),
    isolateKey: keyHash,
    copyKey: credentialCacheKey(keyHash),
    genKey: credentialGenerationKey(keyHash),
    load: () => loadKeyRecord(services.dbHttp, keyHash),
  };
}

/** Looks up, refreshing a cached entry ahead when due; `refreshNow`: whatever its age (a lookup paired with it is due). */
export function find<T>(services: Services, lookup: CachedLookup<T>, defer: (p: Promise<unknown>) => void, refreshNow = false): Promise<T | null> {
  return cachedLookup(() => services.redis, lookup, defer, { redis: () => services.redisAhead, now: refreshNow });
}

export function findTenantContext(env: Env, services: Services, tenantId: string, defer: (p: Promise<unknown>) => void) {
  return find(services, tenantLookup(env, services, tenantId), defer);
}
