import { describe, expect, it } from "vitest";
import { delayLine, isDelayed, parseNetworkModel, sleepMs } from "../../scripts/stack/network-model.ts";

/** Keeps the event loop busy for `ms`, as a bridge's other work does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe("network model", () => {
  it("delays the gateway origin hop at the edge as far as Postgres, and not on loopback", () => {
    const edge = parseNetworkModel("edge");
    expect(edge.origin).toEqual(edge.postgres);
    expect(isDelayed(edge.origin)).toBe(true);
    expect(isDelayed(parseNetworkModel(undefined).origin)).toBe(false);
  });

  it("reads an origin hop from a spec (round trip / jitter, halved per leg) and refuses unknown hops", () => {
    const model = parseNetworkModel("postgres:80/4,origin:40/2");
    expect(model.origin).toEqual({ oneWayMs: 20, jitterMs: 1 });
    expect(model.postgres).toEqual({ oneWayMs: 40, jitterMs: 2 });
    expect(isDelayed(model.runtime)).toBe(false);
    expect(() => parseNetworkModel("cdn:5")).toThrow(/hops: postgres, runtime, upstash, origin/);
  });

  // A plain setTimeout counts from the event loop's clock, whole milliseconds truncated: a timer set
  // at x.9 ms fires up to ~1 ms early by the real clock, and the model added less than it states
  // (24.3 ms for a 25 ms round trip, measured in the Neon bridge).
  it("sleeps at least the stated time by the real clock, whatever the fraction of a millisecond it starts at", async () => {
    const elapsed: number[] = [];
    for (let i = 0; i < 50; i++) {
      busy(Math.random()); // start at a random fraction of a millisecond
      const ms = 2 + Math.random();
      const started = performance.now();
      await sleepMs(ms);
      elapsed.push(performance.now() - started - ms);
    }
    expect(Math.min(...elapsed)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...elapsed)).toBeLessThan(500); // a loaded machine may be late, never early
  });

  it("delivers every message of a link no sooner than its delay, in the order sent", async () => {
    const line = delayLine({ oneWayMs: 5, jitterMs: 2 });
    const late: number[] = [];
    const order: number[] = [];
    await sleepMs(1);
    await new Promise<void>((done) => {
      for (let i = 0; i < 40; i++) {
        const sent = performance.now();
        line(() => {
          late.push(performance.now() - sent);
          order.push(i);
          if (order.length === 40) done();
        });
        busy(Math.random() * 1.5); // the sender keeps the loop busy between sends
      }
    });
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(Math.min(...late)).toBeGreaterThanOrEqual(5);
  });
});
