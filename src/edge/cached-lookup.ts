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

/**
 * Isolate (≤ 1 s old) → Upstash copy (checked against its generation) → Postgres.
 * While Upstash is unreachable the lookup goes straight to Postgres; the data plane keeps serving.
 * `null` (no such key or tenant) is cached too, so a flood of bad credentials does not reach Postgres.
 */
export async function cachedLookup<T>(redis: Redis, lookup: CachedLookup<T>, defer: (p: Promise<unknown>) => void): Promise<T | null> {
  const local = lookup.isolate.get(lookup.isolateKey);
  if (local !== undefined) return local;

  let gen: number | undefined;
  if (!upstashBreaker.isOpen) {
    try {
      const read = await readGenerational<T | null>(redis, lookup.copyKey, lookup.genKey);
      upstashBreaker.recordSuccess();
      if (read.hit) {
        lookup.isolate.set(lookup.isolateKey, read.value ?? null);
        return read.value ?? null;
      }
      gen = read.gen;
    } catch {
      upstashBreaker.recordFailure();
    }
  }

  const value = await lookup.load();
  lookup.isolate.set(lookup.isolateKey, value);
  if (gen !== undefined) {
    defer(writeGenerational(redis, lookup.copyKey, gen, value).catch(() => upstashBreaker.recordFailure()));
  }
  return value;
}
