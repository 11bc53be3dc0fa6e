// The product's Redis handles (src/cache/redis.ts) against Redis behind the Upstash REST bridge:
// one shared @upstash/redis client, each handle's commands of a tick sent as one pipeline.
import { createServer, type Server, type Socket } from "node:net";
import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedis, type RedisConfig } from "../../src/cache/redis.ts";
import { startRedisBehindBridge, type RedisBehindBridge } from "../support/redis-behind-bridge.ts";

const TOKEN = "handle-test-token-0123456789";

let bridge: RedisBehindBridge;
let config: RedisConfig;

beforeAll(async () => {
  bridge = await startRedisBehindBridge(TOKEN);
  config = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: TOKEN };
}, 30_000);

afterAll(async () => {
  await bridge?.stop();
});

function counted() {
  const trips = { count: 0, trip: () => void (trips.count += 1) };
  return trips;
}

describe("a Redis handle", () => {
  it("sends the commands issued in one tick as one round trip, answers each its own, and counts the trip", async () => {
    const trips = counted();
    const redis = openRedis(config, 1000, trips);
    const before = { ...bridge.stats };
    const [set, got, incremented, missing] = await Promise.all([
      redis.set("handle:a", { name: "Zoë 🚀", n: 1 }),
      redis.get("handle:b"),
      redis.incr("handle:counter"),
      redis.hgetall("handle:none"),
    ]);
    expect([set, got, incremented, missing]).toEqual(["OK", null, 1, null]);
    expect(await redis.get("handle:a")).toEqual({ name: "Zoë 🚀", n: 1 });
    expect(trips.count).toBe(2);
    expect(bridge.stats.requests - before.requests).toBe(2);
    expect(bridge.stats.commands - before.commands).toBe(5);
  });

  it("keeps two handles' commands apart: issued in the same tick, each goes in its own round trip", async () => {
    const first = counted();
    const second = counted();
    const a = openRedis(config, 1000, first);
    const b = openRedis(config, 1000, second);
    const before = bridge.stats.requests;
    const answers = await Promise.all([a.incr("handle:apart"), b.incr("handle:apart"), a.incr("handle:apart"), b.incr("handle:apart")]);
    expect(answers.sort()).toEqual([1, 2, 3, 4]);
    expect([first.count, second.count]).toEqual([1, 1]);
    expect(bridge.stats.requests - before).toBe(2);
  });

  it("fails only the command that failed: the rest of its pipeline is answered", async () => {
    const redis = openRedis(config);
    await redis.set("handle:text", "not a number");
    const [bad, good] = await Promise.allSettled([redis.incr("handle:text"), redis.get("handle:text")]);
    expect(bad.status).toBe("rejected");
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/not an integer/);
    expect(good).toEqual({ status: "fulfilled", value: "not a number" });
  });

  it("carries @upstash/ratelimit: its scripts load on first use (NOSCRIPT, then EVAL) and the bucket holds", async () => {
    const limiter = new Ratelimit({ redis: openRedis(config), limiter: Ratelimit.tokenBucket(1, "10 s", 3), prefix: `handle-rl-${Date.now()}`, analytics: false });
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await limiter.limit("tenant")).success);
    expect(results).toEqual([true, true, true, false, false]);
  });

  it("rejects every command of a trip Upstash refuses (a wrong token) with Upstash's error", async () => {
    const redis = openRedis({ ...config, UPSTASH_REDIS_REST_TOKEN: "wrong-token" });
    const settled = await Promise.allSettled([redis.get("handle:a"), redis.get("handle:b")]);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/UpstashError/);
  });

  describe("when Upstash does not answer", () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    let silentUrl: string;

    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const address = silent.address();
      silentUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it("gives up on the whole trip after the handle's timeout, and the next trip starts afresh", async () => {
      const trips = counted();
      const redis = openRedis({ UPSTASH_REDIS_REST_URL: silentUrl, UPSTASH_REDIS_REST_TOKEN: TOKEN }, 200, trips);
      const started = performance.now();
      const settled = await Promise.allSettled([redis.get("handle:a"), redis.set("handle:b", "1")]);
      const elapsed = performance.now() - started;
      expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2000);
      await expect(redis.ping()).rejects.toThrow();
      expect(trips.count).toBe(2);
    });
  });
});
