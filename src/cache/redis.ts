import { Redis } from "@upstash/redis/cloudflare";

export interface RedisConfig {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

/** Upper bound of any one Redis round trip: a slow Upstash must never hang a request. */
export const REDIS_TIMEOUT_MS = 1000;

/**
 * One client per request, auto-pipelined: commands issued in the same tick travel together.
 * No retries here: the callers decide what an outage means (fail open, backstop or 503).
 */
export function openRedis(config: RedisConfig, timeoutMs = REDIS_TIMEOUT_MS, trips?: { trip(destination: "upstash"): void }): Redis {
  return new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    enableAutoPipelining: true,
    retry: { retries: 0 },
    // Called once per HTTP request the client makes (no retries): where its round trips are counted.
    signal: () => {
      trips?.trip("upstash");
      return AbortSignal.timeout(timeoutMs);
    },
    enableTelemetry: false,
  });
}
