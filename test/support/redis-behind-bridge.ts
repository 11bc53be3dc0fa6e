// A Redis server in a temporary folder behind the Upstash REST bridge, for the bridge tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis, type RedisHandle } from "../../scripts/stack/redis.js";
import { startUpstashBridge } from "../../scripts/stack/upstash-bridge.js";

export interface RedisBehindBridge {
  /** The bridge's REST endpoint (what UPSTASH_REDIS_REST_URL points at). */
  url: string;
  /** Redis itself, for checks that go around the bridge (and outages: stop it, start it again). */
  redis: RedisHandle;
  /** What the bridge was asked since it started (live). */
  stats: { requests: number; commands: number };
  /** Stops the bridge and Redis and removes the folder. */
  stop(): Promise<void>;
}

export async function startRedisBehindBridge(token: string): Promise<RedisBehindBridge> {
  const dir = await mkdtemp(join(tmpdir(), "tenantry-redis-bridge-"));
  const redis = await startRedis({ dir });
  const bridge = await startUpstashBridge({ redisUrl: redis.url, token }).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  return {
    url: bridge.url,
    redis,
    stats: bridge.stats,
    stop: async () => {
      await bridge.stop().catch(() => undefined);
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
