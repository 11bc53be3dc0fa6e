import { createHash } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisBehindBridge, type RedisBehindBridge } from "../support/redis-behind-bridge.ts";

const TOKEN = "test-token-0123456789";
// Upstash's own scripts (e.g. @upstash/ratelimit) start like this; stock Redis rejects the flag.
const COUNTER_SCRIPT = "#!lua flags=allow-key-locking\nreturn {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}";
const READ_SCRIPT = "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('GET', KEYS[1])";

let bridge: RedisBehindBridge;
let redis: Redis;
let raw: IORedis;

beforeAll(async () => {
  bridge = await startRedisBehindBridge(TOKEN);
  redis = new Redis({ url: bridge.url, token: TOKEN, enableTelemetry: false });
  raw = new IORedis(bridge.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on("error", () => undefined);
  await raw.connect();
}, 30_000);

afterAll(async () => {
  raw?.disconnect();
  await bridge?.stop();
});

function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe("data types through @upstash/redis", () => {
  it("strings", async () => {
    expect(await redis.set("str", "hello")).toBe("OK");
    expect(await redis.get("str")).toBe("hello");
    expect(await redis.append("str", " world")).toBe(11);
    expect(await redis.getdel("str")).toBe("hello world");
    expect(await redis.exists("str")).toBe(0);
  });

  it("numbers", async () => {
    expect(await redis.incr("num")).toBe(1);
    expect(await redis.incrby("num", 41)).toBe(42);
    expect(await redis.incrbyfloat("float", 1.5)).toBe(1.5);
    expect(await redis.incrbyfloat("float", 0.25)).toBe(1.75);
    expect(await redis.decr("num")).toBe(41);
  });

  it("keeps 64-bit integer replies exact on the wire", async () => {
    await raw.set("big", "9007199254740993"); // 2^53 + 1
    const { json } = await post("/", JSON.stringify(["INCRBY", "big", "0"]));
    expect(json).toEqual({ result: 9007199254740992 }); // JSON.parse rounds, as against Upstash
    const text = await (
      await fetch(bridge.url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: '["INCRBY","big","0"]' })
    ).text();
    expect(text).toBe('{"result":9007199254740993}');
  });

  it("JSON objects are (de)serialised by the client", async () => {
    const value = { tenant: "acme", plan: { seats: 5, tags: ["a", "b"] }, active: true };
    await redis.set("obj", value);
    expect(await redis.get("obj")).toEqual(value);
    expect(await raw.get("obj")).toBe(JSON.stringify(value));
  });

  it("binary-ish values round-trip byte-exactly", async () => {
    const plain = new Redis({ url: bridge.url, token: TOKEN, automaticDeserialization: false, enableTelemetry: false });
    const big = Array.from({ length: 1024 * 1024 }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 95))).join("");
    const values = {
      nul: "a\u0000b\u0000\u0000c",
      emoji: "tenant 🦄🚀 ünïcödé 中文",
      latin1: "\u00ff\u00fe\u0080\u0081 caf\u00e9",
      ok: "OK", // a bulk string that looks like a status reply
      numeric: "0012",
      big,
    };
    for (const [key, value] of Object.entries(values)) {
      await plain.set(`bin:${key}`, value);
      expect(await plain.get(`bin:${key}`)).toBe(value);
      expect((await raw.getBuffer(`bin:${key}`))?.equals(Buffer.from(value, "utf8"))).toBe(true);
    }
  });

  it("returns invalid UTF-8 bytes base64-encoded, exactly", async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]);
    await raw.set("raw-bytes", bytes);
    const encoded = await post("/", JSON.stringify(["GET", "raw-bytes"]), { "upstash-encoding": "base64" });
    expect(encoded.json).toEqual({ result: bytes.toString("base64") });
    const nested = await post("/", JSON.stringify(["MGET", "raw-bytes", "nope"]), { "upstash-encoding": "base64" });
    expect(nested.json).toEqual({ result: [bytes.toString("base64"), null] });
  });

  it("hashes", async () => {
    expect(await redis.hset("hash", { name: "acme", seats: 5 })).toBe(2);
    expect(await redis.hget("hash", "name")).toBe("acme");
    expect(await redis.hincrby("hash", "seats", 2)).toBe(7);
    expect(await redis.hgetall("hash")).toEqual({ name: "acme", seats: 7 });
    expect(await redis.hget("hash", "missing")).toBeNull();
  });

  it("lists", async () => {
    await redis.rpush("list", "a", "b", "c");
    await redis.lpush("list", "z");
    expect(await redis.lrange("list", 0, -1)).toEqual(["z", "a", "b", "c"]);
    expect(await redis.lpop("list")).toBe("z");
    expect(await redis.llen("list")).toBe(3);
  });

  it("sets", async () => {
    expect(await redis.sadd("set", "x", "y", "z")).toBe(3);
    expect((await redis.smembers("set")).sort()).toEqual(["x", "y", "z"]);
    expect(await redis.sismember("set", "y")).toBe(1);
    expect(await redis.sismember("set", "w")).toBe(0);
  });

  it("sorted sets with scores", async () => {
    await redis.zadd("zset", { score: 1.5, member: "a" }, { score: 3, member: "c" }, { score: 2, member: "b" });
    expect(await redis.zrange("zset", 0, -1, { withScores: true })).toEqual(["a", 1.5, "b", 2, "c", 3]);
    expect(await redis.zscore("zset", "a")).toBe(1.5);
    expect(await redis.zincrby("zset", 10, "a")).toBe(11.5);
    expect(await redis.zrank("zset", "a")).toBe(2);
  });

  it("expiry", async () => {
    await redis.set("ttl", "v", { ex: 100 });
    const ttl = await redis.ttl("ttl");
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    await redis.set("short", "v", { px: 50 });
    await new Promise((r) => setTimeout(r, 120));
    expect(await redis.get("short")).toBeNull();
    expect(await redis.ttl("missing-key")).toBe(-2);
  });

  it("nil results", async () => {
    expect(await redis.get("does-not-exist")).toBeNull();
    expect(await redis.mget("does-not-exist", "hash-nope")).toEqual([null, null]);
    expect(await redis.lpop("no-list")).toBeNull();
  });
});

describe("errors", () => {
  it("a Redis error surfaces as an error in the client", async () => {
    await redis.set("not-a-number", "abc");
    await expect(redis.incr("not-a-number")).rejects.toThrow(/ERR value is not an integer/);
    const { status, json } = await post("/", JSON.stringify(["INCR", "not-a-number"]));
    expect(status).toBe(400);
    expect(json).toEqual({ error: "ERR value is not an integer or out of range" });
  });

  it("a wrong token is rejected", async () => {
    const intruder = new Redis({ url: bridge.url, token: "wrong", enableTelemetry: false });
    await expect(intruder.get("str")).rejects.toThrow(/Unauthorized/);
    const res = await fetch(bridge.url, { method: "POST", body: '["PING"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Unauthorized" });
  });

  it("bad JSON, unknown paths and connection-state commands are refused", async () => {
    const bad = await post("/", "[not json");
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: expect.stringMatching(/JSON/) as unknown });
    expect((await post("/nope", '["PING"]')).status).toBe(404);
    const multi = await post("/", '["MULTI"]');
    expect(multi.status).toBe(400);
    expect(multi.json).toEqual({ error: "ERR Command is not available: 'MULTI'" });
  });

  it("blocking commands do not stall other requests", async () => {
    const started = Date.now();
    const blocked = post("/", JSON.stringify(["BLPOP", "never-filled", "0.5"]));
    expect(await redis.ping()).toBe("PONG");
    expect(Date.now() - started).toBeLessThan(400);
    expect((await blocked).json).toEqual({ result: null });
  });
});

describe("pipelines and transactions", () => {
  it("a failing command in a pipeline does not fail the others", async () => {
    await redis.set("pipe-hash", "text");
    const pipeline = redis.pipeline();
    pipeline.set("pipe-a", "1");
    pipeline.hset("pipe-hash", { f: "v" }); // WRONGTYPE
    pipeline.incr("pipe-a");
    await expect(pipeline.exec()).rejects.toThrow(/Command 2 \[ hset \] failed: WRONGTYPE/);
    expect(await redis.get("pipe-a")).toBe(2);

    const again = redis.pipeline();
    again.get("pipe-a");
    again.incr("pipe-hash");
    again.get("missing");
    const results = await again.exec({ keepErrors: true });
    expect(results[0]).toEqual({ result: 2, error: undefined });
    expect(results[1]?.error).toMatch(/ERR value is not an integer/);
    expect(results[2]).toEqual({ result: null, error: undefined });
  });

  it("multi() transactions", async () => {
    const tx = redis.multi();
    tx.incr("tx-counter");
    tx.incr("tx-counter");
    tx.get("tx-counter");
    expect(await tx.exec()).toEqual([1, 2, 2]);
  });

  it("multi-exec runs as a real MULTI/EXEC: all or nothing when a command is rejected", async () => {
    const execCalls = async (): Promise<number> => {
      const info = await raw.info("commandstats");
      return Number(/cmdstat_exec:calls=(\d+)/.exec(info)?.[1] ?? 0);
    };
    const before = await execCalls();
    const tx = redis.multi();
    tx.set("tx-a", "1");
    tx.incr("tx-a");
    expect(await tx.exec()).toEqual(["OK", 2]);
    expect((await execCalls()) - before).toBe(1);

    // Redis discards the whole transaction (EXECABORT) when a command is invalid at queue time;
    // a mere pipeline would have executed the SET.
    const { status, json } = await post("/multi-exec", JSON.stringify([["SET", "tx-b", "1"], ["NOT-A-COMMAND"]]));
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: expect.stringMatching(/^EXECABORT/) as unknown });
    expect(await redis.exists("tx-b")).toBe(0);

    // A runtime error inside EXEC fails only its own command, exactly like Redis (and Upstash).
    const partial = await post("/multi-exec", JSON.stringify([["SET", "tx-c", "x"], ["INCR", "tx-c"], ["GET", "tx-c"]]));
    expect(partial.json).toEqual([
      { result: "OK" },
      { error: "ERR value is not an integer or out of range" },
      { result: "x" },
    ]);
  });

  it("auto-pipelining batches concurrent commands", async () => {
    const auto = new Redis({ url: bridge.url, token: TOKEN, enableAutoPipelining: true, enableTelemetry: false });
    const before = bridge.stats.requests;
    const results = await Promise.all([
      auto.set("auto-a", "1"),
      auto.set("auto-b", { x: 1 }),
      auto.incr("auto-a"),
      auto.get("auto-b"),
      auto.get("auto-missing"),
      auto.hset("auto-h", { k: "v" }),
    ]);
    expect(results).toEqual(["OK", "OK", 2, { x: 1 }, null, 1]);
    expect(bridge.stats.requests - before).toBeLessThanOrEqual(2); // one read and one write pipeline at most
    await expect(auto.incr("auto-b")).rejects.toThrow(/ERR value is not an integer/);
  });
});

describe("Lua scripts", () => {
  it("scriptLoad returns the sha1 of the original script, EVALSHA is one request", async () => {
    const sha = await redis.scriptLoad(COUNTER_SCRIPT);
    expect(sha).toBe(sha1(COUNTER_SCRIPT));
    expect(await redis.scriptExists(sha)).toEqual([1]);

    const requests = bridge.stats.requests;
    const commands = bridge.stats.commands;
    expect(await redis.evalsha(sha, ["script-key"], ["arg"])).toEqual(["script-key", "arg", 1]);
    expect(bridge.stats.requests - requests).toBe(1);
    expect(bridge.stats.commands - commands).toBe(1);
  });

  it("eval accepts the Upstash shebang and makes evalsha work afterwards", async () => {
    const script = `${COUNTER_SCRIPT} -- eval variant`;
    await expect(redis.evalsha(sha1(script), ["k2"], ["a"])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(script, ["k2"], ["a"])).toEqual(["k2", "a", 1]);
    const requests = bridge.stats.requests;
    expect(await redis.evalsha(sha1(script), ["k2"], ["b"])).toEqual(["k2", "b", 2]);
    expect(bridge.stats.requests - requests).toBe(1);
  });

  it("read-only scripts keep their Redis flags", async () => {
    await redis.set("ro-key", "ro-value");
    expect(await redis.evalRo(READ_SCRIPT, ["ro-key"], [])).toBe("ro-value");
    expect(await redis.evalshaRo(sha1(READ_SCRIPT), ["ro-key"], [])).toBe("ro-value");
  });

  it("createScript falls back from EVALSHA to EVAL once, then stays on EVALSHA", async () => {
    const script = redis.createScript<[string, string, number]>(`${COUNTER_SCRIPT} -- script object`);
    expect(await script.exec(["obj-key"], ["x"])).toEqual(["obj-key", "x", 1]);
    const requests = bridge.stats.requests;
    expect(await script.exec(["obj-key"], ["y"])).toEqual(["obj-key", "y", 2]);
    expect(bridge.stats.requests - requests).toBe(1);
  });
});

describe("@upstash/ratelimit", () => {
  it("tokenBucket limits", async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(5, "10 s", 5),
      prefix: "rl-bucket",
      ephemeralCache: false,
      analytics: false,
    });
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await limiter.limit("tenant-a");
      expect(result.success).toBe(true);
      expect(result.reason).toBeUndefined(); // not a fail-open timeout
      remaining.push(result.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const blocked = await limiter.limit("tenant-a");
    expect(blocked.success).toBe(false);
    expect(blocked.remaining).toBe(0);
    expect((await limiter.limit("tenant-b")).success).toBe(true);
  });

  it("fixedWindow limits", async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(3, "60 s"),
      prefix: "rl-fixed",
      ephemeralCache: false,
      analytics: false,
    });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 5; i++) outcomes.push((await limiter.limit("tenant-a")).success);
    expect(outcomes).toEqual([true, true, true, false, false]);
    expect(await limiter.getRemaining("tenant-a")).toMatchObject({ remaining: 0 });
  });
});

describe("Redis outage", () => {
  it("fails fast while Redis is down and recovers without restarting the bridge", async () => {
    const server = bridge.redis;
    await redis.set("outage", "before");
    await server.stop();

    const started = Date.now();
    await expect(redis.get("outage")).rejects.toThrow(/Redis unavailable/);
    const pipeline = redis.pipeline();
    pipeline.get("outage");
    await expect(pipeline.exec()).rejects.toThrow(/Redis unavailable/);
    expect(Date.now() - started).toBeLessThan(3_000);

    await server.start();
    const deadline = Date.now() + 10_000;
    let value: unknown;
    for (;;) {
      try {
        value = await redis.set("outage", "after");
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(value).toBe("OK");
    expect(await redis.get("outage")).toBe("after");
  }, 20_000);
});
