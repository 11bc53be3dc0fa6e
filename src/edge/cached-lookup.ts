import type { Redis } from "@upstash/redis/cloudflare";
import { upstashBreaker } from "../cache/circuit-breaker.ts";
import { readGenerational, writeGenerational } from "../cache/generational-cache.ts";
import type { IsolateCache } from "./isolate-cache.ts";

export interface CachedLookup<T> {
  isolate: IsolateCache<T | null>;
  isolateKey: string;
  copyKey: string;
  genKey: string;
  load: () => Promise<T | null>;
}

export interface RefreshAhead {
  /** The client refreshes go through (their trips count as taken ahead). */
  redis: () => Redis;
  /** Refresh a cached entry whatever its age: a lookup paired with this one is due (`dueForRefresh`). */
  now?: boolean;
}

/** Whether the isolate's entry for `lookup` is past half its life: a request finding it so refreshes it ahead. */
export function dueForRefresh(lookup: Pick<CachedLookup<unknown>, "isolate" | "isolateKey">, now = Date.now()): boolean {
  const local = lookup.isolate.peek(lookup.isolateKey, now);
  return local !== undefined && local.ageMs >= lookup.isolate.ttlMs / 2;
}

/**
 * Isolate (≤ its TTL old) → Upstash copy (checked against its generation) → Postgres.
 * With `ahead`, an entry past half its life is refreshed from Upstash off the request path (the
 * request is answered from the entry, which is still within its bound), so a busy credential does
 * not wait for Upstash every time its entry expires.
 * While Upstash is unreachable the lookup goes straight to Postgres; the data plane keeps serving.
 * `null` (no such key or tenant) is cached too, so a flood of bad credentials does not reach Postgres.
 */
export async function cachedLookup<T>(
  /** Asked for only when Upstash is to be read (an isolate hit makes no client). */
  redis: () => Redis,
  lookup: CachedLookup<T>,
  defer: (p: Promise<unknown>) => void,
  ahead?: RefreshAhead,
): Promise<T | null> {
  const local = lookup.isolate.peek(lookup.isolateKey);
  // An entry's age counts from when its read was sent, not from when it came back: whatever it
  // holds is at least that fresh, so it is never older than the cache's TTL, however slow Upstash was.
  const askedAt = Date.now();
  if (local !== undefined) {
    if (ahead && (ahead.now || local.ageMs >= lookup.isolate.ttlMs / 2)) refreshAhead(ahead.redis, lookup, defer);
    return local.value;
  }

  let gen: number | undefined;
  if (!upstashBreaker.isOpen) {
    try {
      const read = await readGenerational<T | null>(redis(), lookup.copyKey, lookup.genKey);
      upstashBreaker.recordSuccess();
      if (read.hit) {
        lookup.isolate.set(lookup.isolateKey, read.value ?? null, askedAt);
        return read.value ?? null;
      }
      gen = read.gen;
    } catch {
      upstashBreaker.recordFailure();
    }
  }

  const value = await lookup.load();
  lookup.isolate.set(lookup.isolateKey, value, askedAt);
  if (gen !== undefined) {
    defer(writeGenerational(redis(), lookup.copyKey, gen, value).catch(() => upstashBreaker.recordFailure()));
  }
  return value;
}

/** Refreshes in flight, by Upstash key (one at a time per key and isolate). */
const refreshing = new Map<string, number>();
const REFRESH_PATIENCE_MS = 2000;
const MAX_REFRESHING = 10_000;

/**
 * Reads the Upstash copy for `lookup` with `waitUntil`; nothing awaits it. A hit renews the isolate
 * entry; a miss (the generation moved: the record changed) drops it, so the next request loads it
 * afresh on its own path. Postgres is never asked from here: the request's pool closes with it.
 */
function refreshAhead<T>(redis: () => Redis, lookup: CachedLookup<T>, defer: (p: Promise<unknown>) => void): void {
  const now = Date.now();
  const since = refreshing.get(lookup.copyKey);
  if ((since !== undefined && now - since < REFRESH_PATIENCE_MS) || upstashBreaker.isOpen) return;
  if (refreshing.size >= MAX_REFRESHING) refreshing.clear();
  refreshing.set(lookup.copyKey, now);
  defer(
    readGenerational<T | null>(redis(), lookup.copyKey, lookup.genKey)
      .then(
        (read) => {
          upstashBreaker.recordSuccess();
          if (read.hit) lookup.isolate.set(lookup.isolateKey, read.value ?? null, now);
          else lookup.isolate.delete(lookup.isolateKey);
        },
        () => upstashBreaker.recordFailure(),
      )
      .finally(() => refreshing.delete(lookup.copyKey)),
  );
}
