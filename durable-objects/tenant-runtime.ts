import { DurableObject } from "cloudflare:workers";
import { openDatabase } from "../src/db/client.ts";
import { applyUsageBatch } from "../src/metering/usage-sink.ts";
import { statusRefusal, type AdmitRefusal, type AdmitRequest, type AdmitResult, type RequestUsage } from "../src/runtime/admission.ts";
import { BackstopBuckets } from "../src/runtime/backstop-bucket.ts";
import { ContextStore } from "../src/runtime/context-store.ts";
import { DEFAULT_LEASE_TTL_MS, LeaseTable } from "../src/runtime/lease-table.ts";
import { UsageCounters, type UsageDelta } from "../src/runtime/usage-counters.ts";
import { UsageOutbox } from "../src/runtime/usage-outbox.ts";
import type { TenantContext } from "../src/tenancy/context.ts";

/** How often a warm-pinned (dedicated) runtime wakes itself so it is never cold. */
const WARM_PIN_INTERVAL_MS = 30_000;
const MAX_FLUSH_BACKOFF_MS = 60_000;
/** How long an explicit flush waits for in-flight requests of the tenant to report their usage. */
const SETTLE_TIMEOUT_MS = 3000;

/**
 * Tenant runtime: one per dedicated tenant, or one shard shared by many shared-tier tenants.
 * Holds each tenant's status gate and limits, its concurrency leases and its usage counters,
 * all in SQLite, rebuilt on construction after an eviction. Usage reaches Postgres by alarm.
 */
export class TenantRuntime extends DurableObject<Env> {
  private contexts!: ContextStore;
  private leases!: LeaseTable;
  private usage!: UsageCounters;
  private outbox!: UsageOutbox;
  private readonly backstop = new BackstopBuckets();
  private nextAlarm: number | null = null;
  private flushFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.contexts = new ContextStore(ctx.storage.sql);
      this.leases = new LeaseTable(ctx.storage.sql, positiveNumber(env.LEASE_TTL_MS) ?? DEFAULT_LEASE_TTL_MS);
      this.usage = new UsageCounters(ctx.storage.sql);
      this.outbox = new UsageOutbox(ctx.storage, this.usage, ctx.id.toString());
      this.nextAlarm = await ctx.storage.getAlarm();
    });
  }

  /** Pushed by the control plane on every change, so the gate holds even before edge caches expire. */
  async configure(context: TenantContext): Promise<void> {
    this.contexts.offer(context);
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const context = this.contexts.offer(request.context);
    const refusal = statusRefusal(context, request.write);
    if (refusal) return this.refuse(context, refusal, 1000);
    if (request.backstop) {
      const taken = this.backstop.take(context.id, context.limits.requestsPerSecond, context.limits.burst);
      if (!taken.ok) return this.refuse(context, "rate_limited", taken.retryAfterMs);
    }
    const leaseId = this.leases.acquire(context.id, context.limits.maxConcurrentRequests);
    if (!leaseId) {
      return this.refuse(context, "concurrency_limited", Math.max(100, Math.min(1000, this.leases.nextExpiryIn(context.id))));
    }
    this.count(context.id, { requests: 1 });
    return { ok: true, leaseId, context };
  }

  async release(tenantId: string, leaseId: string, usage: RequestUsage): Promise<void> {
    this.leases.release(leaseId);
    this.count(tenantId, usage);
  }

  /** Usage observed elsewhere: requests refused at the edge (rate, quota), realtime traffic. */
  async record(tenantId: string, delta: UsageDelta): Promise<void> {
    this.count(tenantId, delta);
  }

  async leasesHeld(tenantId: string): Promise<number> {
    return this.leases.held(tenantId);
  }

  /**
   * Puts every counter of the tenant durably into Postgres: waits for its in-flight requests to
   * report, seals the counters into a batch and applies every pending batch. Throws while
   * Postgres is down; nothing is lost, the next flush sends the same batches.
   */
  async flushUsage(tenantId: string): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (this.leases.held(tenantId) > 0 && Date.now() < deadline) await sleep(20);
    this.outbox.seal(tenantId);
    await this.sendBatches(tenantId);
  }

  /** Dedicated tenants: a recurring alarm keeps the object warm. */
  async warmPin(_tenantId: string): Promise<void> {
    await this.ctx.storage.put("warmPinned", true);
    await this.scheduleAlarm(Date.now() + WARM_PIN_INTERVAL_MS);
  }

  async purge(tenantId: string): Promise<void> {
    this.contexts.purge(tenantId);
    this.leases.purge(tenantId);
    this.usage.take(tenantId);
    this.outbox.purge(tenantId);
    this.backstop.forget(tenantId);
    if (this.contexts.ids().length === 0) await this.ctx.storage.delete("warmPinned");
  }

  override async alarm(): Promise<void> {
    this.nextAlarm = null;
    try {
      this.outbox.seal();
      await this.sendBatches();
      this.flushFailures = 0;
    } catch (error) {
      this.flushFailures++;
      console.error(JSON.stringify({ level: "warn", message: "usage flush failed; will retry", error: String(error) }));
    }
    const pinned = (await this.ctx.storage.get<boolean>("warmPinned")) === true;
    const pending = this.usage.hasPending() || this.outbox.hasPending();
    const times: number[] = [];
    if (pending) times.push(Date.now() + Math.min(this.flushInterval() * 2 ** this.flushFailures, MAX_FLUSH_BACKOFF_MS));
    if (pinned) times.push(Date.now() + WARM_PIN_INTERVAL_MS);
    if (times.length > 0) await this.scheduleAlarm(Math.min(...times));
  }

  private async sendBatches(tenantId?: string): Promise<void> {
    const batches = this.outbox.batches(tenantId);
    if (batches.length === 0) return;
    const database = openDatabase(this.env);
    try {
      for (const batch of batches) {
        await applyUsageBatch(database.db, batch);
        this.outbox.remove(batch.id);
      }
    } finally {
      await database.close();
    }
  }

  private count(tenantId: string, delta: UsageDelta): void {
    this.usage.add(tenantId, delta);
    if (this.nextAlarm === null) void this.scheduleAlarm(Date.now() + this.flushInterval());
  }

  private flushInterval(): number {
    return Math.max(100, positiveNumber(this.env.USAGE_FLUSH_INTERVAL_MS) ?? 10_000);
  }

  private async scheduleAlarm(at: number): Promise<void> {
    if (this.nextAlarm !== null && this.nextAlarm <= at) return;
    this.nextAlarm = at;
    await this.ctx.storage.setAlarm(at);
  }

  private refuse(context: TenantContext, code: AdmitRefusal, retryAfterMs: number): AdmitResult {
    // Only limits count as `rejected`; a closed status gate is not usage.
    if (code === "concurrency_limited" || code === "rate_limited") this.count(context.id, { rejected: 1 });
    return { ok: false, code, retryAfterMs, context };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
}
