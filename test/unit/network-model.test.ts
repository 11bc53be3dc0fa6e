import { describe, expect, it } from "vitest";
import { isDelayed, parseNetworkModel } from "../../scripts/stack/network-model.ts";

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
});
