// The runtime object's lease table (src/runtime/lease-table.ts) in workerd's SQLite.
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { harness, inside } from "./harness.ts";
import { HARNESS_LEASE_TTL_MS } from "./tables-harness.ts";

describe("LeaseTable", () => {
  it("acquires up to the limit, refuses beyond it, and a release frees one slot", async () => {
    await inside(harness(), ({ leases }) => {
      const first = leases.acquire("ten_a", 2, 0);
      const second = leases.acquire("ten_a", 2, 0);
      expect(first).toEqual(expect.any(String));
      expect(second).toEqual(expect.any(String));
      expect(first).not.toBe(second);
      expect(leases.acquire("ten_a", 2, 0)).toBeNull();
      expect(leases.held("ten_a", 0)).toBe(2);

      leases.release(first!);
      expect(leases.held("ten_a", 0)).toBe(1);
      expect(leases.acquire("ten_a", 2, 0)).toEqual(expect.any(String));
      expect(leases.acquire("ten_a", 2, 0)).toBeNull();
    });
  });

  it("gives an edge's block the slots it asks for within the limit and the room, renews it in place, and frees them all at its end", async () => {
    await inside(harness(), ({ leases }) => {
      expect(leases.acquire("ten_a", 8, 0)).not.toBeNull();
      expect(leases.block("blk_1", "ten_a", 8, 4, Number.POSITIVE_INFINITY, 0)).toBe(4);
      expect(leases.held("ten_a", 0)).toBe(5);
      // Renewed bigger: only what the limit leaves (8 − 1 lease), and the room caps the growth.
      expect(leases.block("blk_1", "ten_a", 8, 10, Number.POSITIVE_INFINITY, 0)).toBe(7);
      expect(leases.acquire("ten_a", 8, 0)).toBeNull();
      expect(leases.block("blk_1", "ten_a", 8, 2, 0, 0)).toBe(2);
      expect(leases.held("ten_a", 0)).toBe(3);
      expect(leases.block("blk_2", "ten_a", 8, 4, 0, 0)).toBe(0);
      expect(leases.held("ten_a", 0)).toBe(3);
      // Only blocks tell a closing gate how long edges may still admit on their own.
      expect(leases.lastBlockAt("ten_a")).toBe(0);
      expect(leases.lastBlockAt("ten_b")).toBeNull();
      leases.release("blk_1");
      expect(leases.lastBlockAt("ten_a")).toBeNull();
      expect(leases.held("ten_a", 0)).toBe(1);
      expect(leases.inUse(0)).toBe(1);
    });
  });

  it("dates a tenant's newest block, not its newer single leases: a closing gate waits for blocks only", async () => {
    await inside(harness(), ({ leases }) => {
      expect(leases.block("blk_1", "ten_a", 100, 4, Number.POSITIVE_INFINITY, 1000)).toBe(4);
      const later = 1000 + HARNESS_LEASE_TTL_MS / 2;
      expect(leases.acquire("ten_a", 100, later)).not.toBeNull();
      expect(leases.lastBlockAt("ten_a")).toBe(1000);
      expect(leases.block("blk_1", "ten_a", 100, 4, Number.POSITIVE_INFINITY, later)).toBe(4);
      expect(leases.lastBlockAt("ten_a")).toBe(later);
    });
  });

  it("counts each tenant apart: one full tenant does not block another", async () => {
    await inside(harness(), ({ leases }) => {
      expect(leases.acquire("ten_a", 1, 0)).not.toBeNull();
      expect(leases.acquire("ten_a", 1, 0)).toBeNull();
      expect(leases.acquire("ten_b", 1, 0)).not.toBeNull();
      expect(leases.held("ten_a", 0)).toBe(1);
      expect(leases.held("ten_b", 0)).toBe(1);
    });
  });

  it("lets a lease expire on its own after the TTL: a crashed request never keeps its slot", async () => {
    await inside(harness(), ({ leases }) => {
      expect(leases.acquire("ten_a", 1, 1000)).not.toBeNull();
      expect(leases.acquire("ten_a", 1, 1000 + HARNESS_LEASE_TTL_MS - 1)).toBeNull();
      expect(leases.nextExpiryIn("ten_a", 1500)).toBe(HARNESS_LEASE_TTL_MS - 500);
      expect(leases.held("ten_a", 1000 + HARNESS_LEASE_TTL_MS)).toBe(0);
      expect(leases.acquire("ten_a", 1, 1000 + HARNESS_LEASE_TTL_MS)).not.toBeNull();
      expect(leases.held("ten_a", 1000 + HARNESS_LEASE_TTL_MS)).toBe(1);
    });
  });

  it("answers 0 for the next expiry when nothing is held, and purge drops every lease of a tenant", async () => {
    await inside(harness(), ({ leases }) => {
      expect(leases.nextExpiryIn("ten_a", 0)).toBe(0);
      leases.acquire("ten_a", 5, 0);
      leases.acquire("ten_a", 5, 0);
      leases.acquire("ten_b", 5, 0);
      leases.purge("ten_a");
      expect(leases.held("ten_a", 0)).toBe(0);
      expect(leases.held("ten_b", 0)).toBe(1);
      leases.release("no-such-lease");
      expect(leases.held("ten_b", 0)).toBe(1);
    });
  });

  it("never exceeds the limit when many requests ask at once", async () => {
    const stub = harness();
    const max = 5;
    const answers = await Promise.all(Array.from({ length: 60 }, () => stub.acquire("ten_a", max)));
    const granted = answers.filter((lease): lease is string => lease !== null);
    expect(granted).toHaveLength(max);
    expect(new Set(granted).size).toBe(max);
    expect(await inside(stub, ({ leases }) => leases.held("ten_a"))).toBe(max);

    // Releasing and re-acquiring at once keeps the count at the limit, never above it.
    const churn = await Promise.all(
      granted.flatMap((lease) => [stub.release(lease), stub.acquire("ten_a", max), stub.acquire("ten_a", max)]),
    );
    const regranted = churn.filter((answer) => typeof answer === "string");
    expect(regranted).toHaveLength(max);
    expect(await inside(stub, ({ leases }) => leases.held("ten_a"))).toBe(max);
  });

  it("keeps its leases when the object is evicted and rebuilt", async () => {
    const stub = harness();
    const before = await inside(stub, ({ leases, instance }) => {
      leases.acquire("ten_a", 2);
      leases.acquire("ten_a", 2);
      return instance;
    });
    await evictDurableObject(stub);
    await inside(stub, ({ leases, instance }) => {
      expect(instance).not.toBe(before);
      expect(leases.held("ten_a")).toBe(2);
      expect(leases.acquire("ten_a", 2)).toBeNull();
    });
  });
});
