import type { Redis } from "@upstash/redis/cloudflare";

/** How long a copy may sit in Upstash; generations make it stale sooner when anything changes. */
const COPY_TTL_SECONDS = 300;

interface Stamped<T> {
  gen: number;
  value: T;
}

export interface GenerationalRead<T> {
  hit: boolean;
  value?: T;
  /** Generation seen at read time: write the loaded value back under this one. */
  gen: number;
}

/** One MGET: the copy and the current generation. */
export async function readGenerational<T>(redis: Redis, copyKey: string, genKey: string): Promise<GenerationalRead<T>> {
  const [copy, gen] = await redis.mget<[Stamped<T> | null, number | null]>(copyKey, genKey);
  const current = Number(gen ?? 0);
  if (copy && copy.gen === current) return { hit: true, value: copy.value, gen: current };
  return { hit: false, gen: current };
}

export async function writeGenerational<T>(redis: Redis, copyKey: string, gen: number, value: T): Promise<void> {
  await redis.set(copyKey, { gen, value } satisfies Stamped<T>, { ex: COPY_TTL_SECONDS });
}
