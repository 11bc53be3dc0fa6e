import { Ratelimit } from "@upstash/ratelimit";
import { describe, expect, it } from "vitest";
import { BlockCache } from "../../src/limits/block-cache.ts";

describe("BlockCache (the edge's ephemeral rate-limit cache)", () => {
  it("stays within its bound however many tenants were blocked once and never came back", () => {
    const cache = new BlockCache(100);
    const until = Date.now() + 60_000;
    for (let i = 0; i < 5000; i++) cache.set(`tenant:${i}:bucket`, until);
    expect(cache.size).toBe(100);
    // The most recent blocks are kept.
    expect(cache.get("tenant:4999:bucket")).toBe(until);
    expect(cache.has("tenant:0:bucket")).toBe(false);
  });

  it("drops lapsed blocks before live ones when full", () => {
    const cache = new BlockCache(3);
    cache.set("live", Date.now() + 60_000);
    cache.set("lapsed-1", Date.now() - 1);
    cache.set("lapsed-2", Date.now() - 1);
    cache.set("new", Date.now() + 60_000);
    expect([...cache.keys()].sort()).toEqual(["live", "new"]);
    // Renewing an entry at the bound evicts nothing.
    cache.set("other", Date.now() + 60_000);
    cache.set("live", Date.now() + 120_000);
    expect(cache.size).toBe(3);
  });

  it("is what @upstash/ratelimit blocks in (its ephemeral cache accepts it)", () => {
    const cache = new BlockCache(2);
    // The library takes any Map (instanceof) and calls set/get/has/delete on the one it is given.
    const limiter = new Ratelimit({ redis: {} as never, limiter: Ratelimit.tokenBucket(1, "1 s", 1), ephemeralCache: cache });
    const wrapped = (limiter as unknown as { ctx: { cache: { cache: unknown; blockUntil(id: string, reset: number): void } } }).ctx.cache;
    expect(wrapped.cache).toBe(cache);
    for (let i = 0; i < 10; i++) wrapped.blockUntil(`tenant:${i}`, Date.now() + 60_000);
    expect(cache.size).toBe(2);
  });
});
