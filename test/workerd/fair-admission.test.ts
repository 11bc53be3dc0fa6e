// Fair admission in a shared runtime shard (durable-objects/tenant-runtime/fair-queue.ts and
// shard-admission.ts), inside workerd, with the real lease table in the harness object's SQLite.
import { describe, expect, it } from "vitest";
import type { AdmitRefusal } from "../../durable-objects/tenant-runtime/admission.ts";
import { FairQueue } from "../../durable-objects/tenant-runtime/fair-queue.ts";
import { ShardAdmission, type SeatRequest, type SeatResult } from "../../durable-objects/tenant-runtime/shard-admission.ts";
import type { PlanId } from "../../src/core/plans.ts";
import { harness, inside } from "./harness.ts";

function drain<T>(queue: FairQueue<T>, n = Infinity): Array<{ flowId: string; item: T }> {
  const served: Array<{ flowId: string; item: T }> = [];
  while (served.length < n) {
    const next = queue.shift();
    if (!next) break;
    served.push(next);
  }
  return served;
}

describe("FairQueue (start-time fair queuing)", () => {
  it("serves a newly arrived flow after at most one request of a backlogged flow", () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 10; i++) queue.push("flood", 1, `flood-${i}`);
    expect(queue.shift()?.item).toBe("flood-0");
    queue.push("quiet", 1, "quiet-0");
    const next = drain(queue, 2).map((served) => served.item);
    expect(next).toContain("quiet-0");
    expect(queue.size()).toBe(8);
  });

  it("keeps each flow's own order (FIFO within a flow)", () => {
    const queue = new FairQueue<number>();
    for (let i = 0; i < 5; i++) queue.push("a", 1, i);
    expect(drain(queue).map((served) => served.item)).toEqual([0, 1, 2, 3, 4]);
  });

  it("shares service in proportion to the weights while every flow is backlogged", () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 50; i++) {
      queue.push("free", 1, "free");
      queue.push("pro", 4, "pro");
    }
    const first = drain(queue, 25).map((served) => served.flowId);
    const pro = first.filter((flow) => flow === "pro").length;
    expect(pro).toBeGreaterThanOrEqual(19);
    expect(pro).toBeLessThanOrEqual(21);
  });

  it("gives a flow that was idle no credit for the idle time, and no debt either", () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 6; i++) queue.push("a", 1, `a${i}`);
    drain(queue, 3);
    // b arrives now with a burst of its own: it starts at the current virtual time and then
    // alternates with a; it neither goes first for all of it nor waits for a's backlog.
    for (let i = 0; i < 3; i++) queue.push("b", 1, `b${i}`);
    expect(drain(queue).map((served) => served.item)).toEqual(["b0", "a3", "b1", "a4", "b2", "a5"]);
  });

  it("removes a waiting request, trims a flow's newest, and names the longest flow", () => {
    const queue = new FairQueue<string>();
    queue.push("a", 1, "a0");
    queue.push("a", 1, "a1");
    queue.push("b", 1, "b0");
    expect(queue.longest()).toBe("a");
    expect(queue.popNewest("a")).toBe("a1");
    expect(queue.remove("b", "b0")).toBe(true);
    expect(queue.remove("b", "b0")).toBe(false);
    expect(queue.size()).toBe(1);
    expect(queue.size("a")).toBe(1);
    expect(drain(queue).map((served) => served.item)).toEqual(["a0"]);
  });
});

/** A seat request that never changes status unless told. */
function seat(tenantId: string, plan: PlanId, max: number, options: { deadlineMs?: number; recheck?: () => AdmitRefusal | null } = {}): SeatRequest {
  return { tenantId, plan, max, deadline: Date.now() + (options.deadlineMs ?? 5000), recheck: options.recheck ?? (() => null) };
}

const leaseOf = (result: SeatResult) => (result.ok ? result.leaseId : undefined);
const settledNow = async <T,>(promise: Promise<T>): Promise<T | "pending"> => Promise.race([promise, new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), 5))]);

describe("ShardAdmission (seats of a shared shard)", () => {
  it("admits at once while seats are free, and counts the tenant's own limit first", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 3 });
      const first = await seats.take(seat("ten_a", "free", 2));
      const second = await seats.take(seat("ten_a", "free", 2));
      expect(first).toMatchObject({ ok: true, waitedMs: 0 });
      expect(second).toMatchObject({ ok: true, waitedMs: 0 });
      // The tenant's own maxConcurrentRequests refuses at once, although a seat is free.
      expect(await seats.take(seat("ten_a", "free", 2))).toMatchObject({ ok: false, code: "concurrency_limited" });
      expect(await seats.take(seat("ten_b", "free", 2))).toMatchObject({ ok: true });
      expect(leases.inUse()).toBe(3);
    });
  });

  it("makes a request wait while the shard is full and gives it the next seat released", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 1 });
      const held = leaseOf(await seats.take(seat("ten_a", "free", 4)))!;
      const waiting = seats.take(seat("ten_b", "free", 4));
      expect(await settledNow(waiting)).toBe("pending");
      expect(seats.queued("ten_b")).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      seats.release(held);
      const admitted = await waiting;
      expect(admitted).toMatchObject({ ok: true });
      expect(admitted.ok && admitted.waitedMs).toBeGreaterThanOrEqual(15);
      expect(seats.queued()).toBe(0);
    });
  });

  it("serves a quiet tenant's request before a flooding tenant's backlog", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 2, maxQueued: 64 });
      const holding = [leaseOf(await seats.take(seat("ten_flood", "pro", 50)))!, leaseOf(await seats.take(seat("ten_flood", "pro", 50)))!];
      const order: string[] = [];
      const flood = Array.from({ length: 20 }, (_, i) => seats.take(seat("ten_flood", "pro", 50)).then((result) => (order.push(`flood-${i}`), result)));
      const quiet = seats.take(seat("ten_quiet", "free", 4)).then((result) => (order.push("quiet"), result));
      // Seats come back one at a time; each is given to the next in fair turn.
      for (let released = 0; released < 6; released++) {
        seats.release(released < 2 ? holding[released]! : leaseOf((await flood[released - 2])!)!);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(await quiet).toMatchObject({ ok: true });
      // FIFO would have served all twenty flood requests first; fair turn serves the quiet one within
      // the first few seats even though its weight (free) is a quarter of the flood's (pro).
      expect(order.indexOf("quiet")).toBeLessThanOrEqual(5);
      seats.release(leaseOf(await quiet)!);
      for (const waiting of flood) seats.release(leaseOf(await waiting)!);
      expect(seats.queued()).toBe(0);
    });
  });

  it("refuses a request whose wait passes its deadline with shard_busy, and takes it out of the queue", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 1, maxWaitMs: 60 });
      await seats.take(seat("ten_a", "free", 4));
      const started = Date.now();
      const refused = await seats.take(seat("ten_b", "pro", 4));
      expect(refused).toEqual({ ok: false, code: "shard_busy", retryAfterMs: 1000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
      expect(seats.queued()).toBe(0);
      // The edge's own deadline is shorter: it bounds the wait too.
      const early = Date.now();
      expect(await seats.take(seat("ten_b", "pro", 4, { deadlineMs: 10 }))).toMatchObject({ code: "shard_busy" });
      expect(Date.now() - early).toBeLessThan(50);
    });
  });

  it("bounds the queue: a full queue gives up the newest request of the longest tenant queue, never a quiet tenant's", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 1, maxQueued: 4, maxWaitMs: 2000 });
      const held = leaseOf(await seats.take(seat("ten_flood", "free", 100)))!;
      const flood = Array.from({ length: 4 }, () => seats.take(seat("ten_flood", "free", 100)));
      expect(seats.queued()).toBe(4);
      // The quiet tenant's request gets in; the flood's newest is refused to make room.
      const quiet = seats.take(seat("ten_quiet", "free", 4));
      expect(await settledNow(flood[3]!)).toMatchObject({ ok: false, code: "concurrency_limited" });
      expect(seats.queued("ten_quiet")).toBe(1);
      // The flood itself cannot grow the queue past its bound: its newcomer is the one refused.
      expect(await seats.take(seat("ten_flood", "free", 100))).toMatchObject({ ok: false, code: "concurrency_limited" });
      seats.release(held);
      seats.release(leaseOf(await flood[0]!)!);
      // The quiet request comes next, before the flood's remaining two.
      expect(await settledNow(flood[1]!)).toBe("pending");
      seats.release(leaseOf(await quiet)!);
      seats.release(leaseOf(await flood[1]!)!);
      seats.release(leaseOf(await flood[2]!)!);
      expect(seats.queued()).toBe(0);
    });
  });

  it("asks the status gate again when a waiting request's turn comes", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 1 });
      const held = leaseOf(await seats.take(seat("ten_a", "free", 4)))!;
      let suspended = false;
      const write = seats.take(seat("ten_b", "free", 4, { recheck: () => (suspended ? "tenant_suspended" : null) }));
      suspended = true;
      seats.release(held);
      expect(await write).toEqual({ ok: false, code: "tenant_suspended", retryAfterMs: 1000 });
      expect(leases.inUse()).toBe(0);
    });
  });

  it("gives a waiting request the seat of a lease that expired (a crashed isolate never released it)", async () => {
    await inside(harness(), async ({ leases }) => {
      // The harness's leases live 1 s.
      const seats = new ShardAdmission(leases, { seats: 1, maxWaitMs: 3000 });
      await seats.take(seat("ten_a", "free", 4)); // never released
      const started = Date.now();
      const waiting = await seats.take(seat("ten_b", "free", 4));
      expect(waiting).toMatchObject({ ok: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(2500);
    });
  });

  it("keeps a wait histogram per plan, cumulative, with every plan present", async () => {
    await inside(harness(), async ({ leases }) => {
      const seats = new ShardAdmission(leases, { seats: 1 });
      const held = leaseOf(await seats.take(seat("ten_a", "free", 4)))!;
      const waiting = seats.take(seat("ten_b", "pro", 4));
      await new Promise((resolve) => setTimeout(resolve, 30));
      seats.release(held);
      await waiting;
      const histograms = seats.waitHistograms();
      expect(Object.keys(histograms).sort()).toEqual(["enterprise", "free", "pro"]);
      expect(histograms.free).toMatchObject({ count: 1, sum: 0 });
      expect(histograms.free!.buckets[0]).toEqual({ le: 0.001, count: 1 });
      expect(histograms.pro!.count).toBe(1);
      expect(histograms.pro!.sum).toBeGreaterThanOrEqual(0.025);
      expect(histograms.pro!.buckets.find((bucket) => bucket.le === 0.01)!.count).toBe(0);
      expect(histograms.pro!.buckets.at(-1)!.count).toBe(1);
      expect(histograms.enterprise!.count).toBe(0);
    });
  });
});
