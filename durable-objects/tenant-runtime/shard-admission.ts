/**
 * Seats of a shared runtime shard: how many requests of all its tenants together may hold a lease
 * at once (they share the shard's object and the shared tier's database). While a seat is free and
 * nobody waits, a request takes one at once. Once the shard is full, requests wait for a seat in
 * a weighted fair queue (fair-queue.ts; weights by plan), so a tenant's burst queues behind
 * itself and not in front of its neighbours. The queues are bounded twice: a tenant's requests
 * holding or waiting for a seat stay within its `maxConcurrentRequests` (429
 * `concurrency_limited` beyond), and the whole queue within `maxQueued`, trimmed from the tail of
 * the longest tenant queue. A request waits at most `maxWaitMs`, then gets 503 with Retry-After.
 */
import { PLAN_IDS, type PlanId } from "../../src/core/plans.ts";
import { WAIT_BUCKETS_S, type AdmissionWaits, type AdmitRefusal } from "./admission.ts";
import { FairQueue } from "./fair-queue.ts";
import type { LeaseTable } from "./lease-table.ts";

/** A busy shard's seats go to its waiting tenants in these proportions. */
export const PLAN_WEIGHTS: Record<PlanId, number> = { free: 1, pro: 4, enterprise: 16 };
/** Seats of a shard unless SHARD_SEATS says otherwise. */
export const DEFAULT_SHARD_SEATS = 64;
/** The longest a request waits for a seat. */
export const MAX_SEAT_WAIT_MS = 1000;

export interface SeatRequest {
  tenantId: string;
  plan: PlanId;
  /** The tenant's `maxConcurrentRequests`: its requests holding or waiting for a seat. */
  max: number;
  /** Epoch ms after which the edge no longer waits for the answer. */
  deadline: number;
  /** The status gate, asked again when a waiting request's turn comes: the tenant may have changed. */
  recheck: () => AdmitRefusal | null;
}

export type SeatResult = { ok: true; leaseId: string; waitedMs: number } | { ok: false; code: AdmitRefusal; retryAfterMs: number };

interface Waiter {
  request: SeatRequest;
  enqueuedAt: number;
  timer: ReturnType<typeof setTimeout>;
  settle: (result: SeatResult) => void;
}

interface WaitCounts {
  /** Per bucket (not cumulative), plus one past the last bound. */
  counts: number[];
  sum: number;
  count: number;
}

export interface ShardAdmissionOptions {
  seats: number;
  maxQueued?: number;
  maxWaitMs?: number;
}

export class ShardAdmission {
  private readonly queue = new FairQueue<Waiter>();
  private readonly seats: number;
  private readonly maxQueued: number;
  private readonly maxWaitMs: number;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waits = new Map<PlanId, WaitCounts>();

  constructor(
    private readonly leases: LeaseTable,
    options: ShardAdmissionOptions,
  ) {
    this.seats = Math.max(1, options.seats);
    this.maxQueued = Math.max(1, options.maxQueued ?? this.seats * 4);
    this.maxWaitMs = options.maxWaitMs ?? MAX_SEAT_WAIT_MS;
  }

  /** A seat (a lease), at once or after a fair wait; or the refusal. */
  async take(request: SeatRequest, now = Date.now()): Promise<SeatResult> {
    const waiting = this.queue.size(request.tenantId);
    if (this.leases.held(request.tenantId, now) + waiting >= request.max) return this.tenantFull(request.tenantId, now);
    if (this.queue.size() === 0 && this.leases.inUse(now) < this.seats) {
      const leaseId = this.leases.acquire(request.tenantId, request.max, now);
      if (!leaseId) return this.tenantFull(request.tenantId, now);
      this.noteWait(request.plan, 0);
      return { ok: true, leaseId, waitedMs: 0 };
    }
    if (this.queue.size() >= this.maxQueued && !this.trimLongest(request.tenantId, now)) return this.tenantFull(request.tenantId, now);
    const result = new Promise<SeatResult>((settle) => {
      const waitMs = Math.max(0, Math.min(request.deadline - now, this.maxWaitMs));
      const waiter: Waiter = { request, enqueuedAt: now, settle, timer: setTimeout(() => this.expire(waiter), waitMs) };
      this.queue.push(request.tenantId, PLAN_WEIGHTS[request.plan] ?? 1, waiter);
    });
    this.pump(now);
    return result;
  }

  /**
   * Seats for an edge isolate's block (lease `id`, new or renewed): only while nobody waits, and
   * blocks and leases together in at most a quarter of the seats, so the idle seats of blocks never
   * keep many requests waiting, and not for longer than a block lasts.
   * When the shard gets busy blocks end, and every request takes its fair turn.
   */
  block(id: string, tenantId: string, max: number, want: number, now = Date.now()): number {
    if (this.queue.size() > 0) return 0;
    return this.leases.block(id, tenantId, max, want, Math.floor(this.seats / 4) - this.leases.inUse(now), now);
  }

  /** A lease given back: its seat goes to the next waiting request, if any. */
  release(leaseId: string): void {
    this.leases.release(leaseId);
    this.pump();
  }

  /** Gives free seats to waiting requests, fairly, while both last. */
  pump(now = Date.now()): void {
    while (this.queue.size() > 0 && this.leases.inUse(now) < this.seats) {
      const waiter = this.queue.shift()!.item;
      clearTimeout(waiter.timer);
      const { request } = waiter;
      const waitedMs = Math.max(0, now - waiter.enqueuedAt);
      this.noteWait(request.plan, waitedMs);
      const refusal = request.recheck();
      if (refusal) {
        waiter.settle({ ok: false, code: refusal, retryAfterMs: 1000 });
        continue;
      }
      const leaseId = this.leases.acquire(request.tenantId, request.max, now);
      waiter.settle(leaseId ? { ok: true, leaseId, waitedMs } : this.tenantFull(request.tenantId, now));
    }
    this.watchExpiries(now);
  }

  /** Requests of the tenant waiting for a seat (a migration and a usage flush wait for them too). */
  queued(tenantId?: string): number {
    return this.queue.size(tenantId);
  }

  /** The wait histogram by plan, cumulative as Prometheus wants it. */
  waitHistograms(): Record<string, AdmissionWaits> {
    const histograms: Record<string, AdmissionWaits> = {};
    for (const plan of PLAN_IDS) {
      const waits = this.waits.get(plan);
      let cumulative = 0;
      histograms[plan] = {
        buckets: WAIT_BUCKETS_S.map((le, index) => ({ le, count: (cumulative += waits?.counts[index] ?? 0) })),
        sum: waits?.sum ?? 0,
        count: waits?.count ?? 0,
      };
    }
    return histograms;
  }

  private expire(waiter: Waiter): void {
    if (!this.queue.remove(waiter.request.tenantId, waiter)) return;
    this.noteWait(waiter.request.plan, Date.now() - waiter.enqueuedAt);
    waiter.settle({ ok: false, code: "shard_busy", retryAfterMs: 1000 });
    if (this.queue.size() === 0) this.watchExpiries(Date.now());
  }

  /**
   * The queue is full: the tenant with the most requests waiting gives up its newest, unless that
   * would be the newcomer's own tenant (then the newcomer is refused). False: refuse the newcomer.
   */
  private trimLongest(newcomer: string, now: number): boolean {
    const longest = this.queue.longest();
    if (longest === undefined || this.queue.size(longest) <= this.queue.size(newcomer) + 1) return false;
    const trimmed = this.queue.popNewest(longest)!;
    clearTimeout(trimmed.timer);
    this.noteWait(trimmed.request.plan, now - trimmed.enqueuedAt);
    trimmed.settle(this.tenantFull(longest, now));
    return true;
  }

  /** A lease that is never released (a crashed isolate) frees its seat when it expires: pump then. */
  private watchExpiries(now: number): void {
    if (this.queue.size() === 0) {
      clearTimeout(this.expiryTimer);
      this.expiryTimer = undefined;
      return;
    }
    if (this.expiryTimer !== undefined) return;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = undefined;
        this.pump();
      },
      Math.max(10, this.leases.nextExpiryOfAnyIn(now)),
    );
  }

  private tenantFull(tenantId: string, now: number): SeatResult {
    return { ok: false, code: "concurrency_limited", retryAfterMs: Math.max(100, Math.min(1000, this.leases.nextExpiryIn(tenantId, now))) };
  }

  private noteWait(plan: PlanId, waitedMs: number): void {
    let waits = this.waits.get(plan);
    if (!waits) {
      waits = { counts: new Array<number>(WAIT_BUCKETS_S.length + 1).fill(0), sum: 0, count: 0 };
      this.waits.set(plan, waits);
    }
    const seconds = waitedMs / 1000;
    const index = WAIT_BUCKETS_S.findIndex((le) => seconds <= le);
    waits.counts[index < 0 ? WAIT_BUCKETS_S.length : index]!++;
    waits.sum += seconds;
    waits.count++;
  }
}
