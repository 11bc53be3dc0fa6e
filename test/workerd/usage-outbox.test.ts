// The runtime object's usage outbox (src/runtime/usage-outbox.ts) in workerd's SQLite.
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { UsageBatch } from "../../src/metering/usage-sink.ts";
import { harness, inside } from "./harness.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/**
 * What Postgres does with a batch (src/metering/usage-sink.ts): applies a batch id once. The
 * outbox's side of "exactly once" is that a batch keeps its id until it is acknowledged.
 */
class AppliedOnce {
  private readonly seen = new Set<string>();
  requests = new Map<string, number>();

  apply(batch: UsageBatch): "applied" | "duplicate" {
    if (this.seen.has(batch.id)) return "duplicate";
    this.seen.add(batch.id);
    const total = batch.rows.reduce((sum, row) => sum + row.requests, 0);
    this.requests.set(batch.tenantId, (this.requests.get(batch.tenantId) ?? 0) + total);
    return "applied";
  }
}

describe("UsageOutbox", () => {
  it("seals the counters into one batch per tenant and leaves no counts behind", async () => {
    await inside(harness(), ({ counters, outbox }) => {
      counters.add("ten_a", { requests: 3 }, T0);
      counters.add("ten_a", { requests: 1 }, T0 + 60_000);
      counters.add("ten_b", { requests: 5 }, T0);
      outbox.seal();
      expect(counters.hasPending()).toBe(false);
      const batches = outbox.batches();
      expect(batches.map((batch) => [batch.tenantId, batch.rows.map((row) => row.requests)])).toEqual([
        ["ten_a", [3, 1]],
        ["ten_b", [5]],
      ]);
      expect(outbox.batches("ten_b").map((batch) => batch.tenantId)).toEqual(["ten_b"]);
    });
  });

  it("seals nothing when nothing was counted, and one tenant's seal leaves the others counting", async () => {
    await inside(harness(), ({ counters, outbox }) => {
      outbox.seal();
      expect(outbox.hasPending()).toBe(false);
      counters.add("ten_a", { requests: 1 }, T0);
      counters.add("ten_b", { requests: 2 }, T0);
      outbox.seal("ten_a");
      expect(outbox.batches().map((batch) => batch.tenantId)).toEqual(["ten_a"]);
      expect(counters.take().map((row) => row.tenantId)).toEqual(["ten_b"]);
    });
  });

  it("keeps a batch, with the same id, until it is acknowledged; ids are unique and name their object", async () => {
    const stub = harness();
    const first = await inside(stub, ({ counters, outbox }, state) => {
      counters.add("ten_a", { requests: 1 }, T0);
      outbox.seal();
      counters.add("ten_a", { requests: 1 }, T0);
      outbox.seal();
      const ids = outbox.batches().map((batch) => batch.id);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(id.startsWith(`${state.id.toString()}:`)).toBe(true);
      expect(outbox.batches().map((batch) => batch.id)).toEqual(ids);
      return ids;
    });
    await evictDurableObject(stub);
    await inside(stub, ({ outbox }) => {
      expect(outbox.batches().map((batch) => batch.id)).toEqual(first);
      outbox.remove(first[0]!);
      expect(outbox.batches().map((batch) => batch.id)).toEqual([first[1]]);
      outbox.remove(first[1]!);
      expect(outbox.hasPending()).toBe(false);
    });
  });

  it("counts nothing twice when a delivery is replayed before its acknowledgement", async () => {
    const stub = harness();
    const sink = new AppliedOnce();
    let counted = 0;
    await inside(stub, ({ counters, outbox }) => {
      for (let i = 0; i < 30; i++) {
        counters.add("ten_a", { requests: 1 }, T0 + i * 5000);
        counted++;
      }
      outbox.seal();
      // Delivered, but the object "crashed" before removing: the batches are still there.
      for (const batch of outbox.batches()) expect(sink.apply(batch)).toBe("applied");
    });
    await evictDurableObject(stub);
    await inside(stub, ({ counters, outbox }) => {
      // Counted after the seal: a new batch, not added into the pending one.
      for (let i = 0; i < 12; i++) {
        counters.add("ten_a", { requests: 1 }, T0 + i * 5000);
        counted++;
      }
      outbox.seal();
      const outcomes = outbox.batches().map((batch) => {
        const outcome = sink.apply(batch);
        outbox.remove(batch.id);
        return outcome;
      });
      expect(outcomes).toEqual(["duplicate", "applied"]);
      expect(outbox.hasPending()).toBe(false);
      expect(counters.hasPending()).toBe(false);
    });
    expect(sink.requests.get("ten_a")).toBe(counted);
  });

  it("purges one tenant's batches only", async () => {
    await inside(harness(), ({ counters, outbox }) => {
      counters.add("ten_a", { requests: 1 }, T0);
      counters.add("ten_b", { requests: 1 }, T0);
      outbox.seal();
      outbox.purge("ten_a");
      expect(outbox.batches().map((batch) => batch.tenantId)).toEqual(["ten_b"]);
    });
  });
});
