import { DurableObject } from "cloudflare:workers";
import { statusRefusal, type AdmitRefusal, type AdmitRequest, type AdmitResult, type RequestUsage } from "../src/runtime/admission.ts";
import { BackstopBuckets } from "../src/runtime/backstop-bucket.ts";
import { ContextStore } from "../src/runtime/context-store.ts";
import { LeaseTable } from "../src/runtime/lease-table.ts";
import { UsageCounters, type UsageDelta } from "../src/runtime/usage-counters.ts";
import type { TenantContext } from "../src/tenancy/context.ts";

/** How often a warm-pinned (dedicated) runtime wakes itself so it is never cold. */
const WARM_PIN_INTERVAL_MS = 30_000;

/**
 * Tenant runtime: one per dedicated tenant, or one shard shared by many shared-tier tenants.
 * Holds each tenant's status gate and limits, its concurrency leases and its usage counters,
 * all in SQLite, rebuilt on construction after an eviction.
 */
export class TenantRuntime extends DurableObject<Env> {
  private contexts!: ContextStore;
  private leases!: LeaseTable;
  private usage!: UsageCounters;
  private readonly backstop = new BackstopBuckets();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.contexts = new ContextStore(ctx.storage.sql);
      this.leases = new LeaseTable(ctx.storage.sql);
      this.usage = new UsageCounters(ctx.storage.sql);
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
    this.usage.add(context.id, { requests: 1 });
    return { ok: true, leaseId, context };
  }

  async release(tenantId: string, leaseId: string, usage: RequestUsage): Promise<void> {
    this.leases.release(leaseId);
    this.usage.add(tenantId, usage);
  }

  /** Requests refused at the edge (rate, quota) still count, as `rejected`. */
  async record(tenantId: string, delta: UsageDelta): Promise<void> {
    this.usage.add(tenantId, delta);
  }

  async leasesHeld(tenantId: string): Promise<number> {
    return this.leases.held(tenantId);
  }

  /** Dedicated tenants: a recurring alarm keeps the object warm. */
  async warmPin(_tenantId: string): Promise<void> {
    await this.ctx.storage.put("warmPinned", true);
    const next = Date.now() + WARM_PIN_INTERVAL_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  async purge(tenantId: string): Promise<void> {
    this.contexts.purge(tenantId);
    this.leases.purge(tenantId);
    this.usage.purge(tenantId);
    this.backstop.forget(tenantId);
    if (this.contexts.ids().length === 0) {
      await this.ctx.storage.delete("warmPinned");
      await this.ctx.storage.deleteAlarm();
    }
  }

  override async alarm(): Promise<void> {
    if (await this.ctx.storage.get<boolean>("warmPinned")) {
      await this.ctx.storage.setAlarm(Date.now() + WARM_PIN_INTERVAL_MS);
    }
  }

  private refuse(context: TenantContext, code: AdmitRefusal, retryAfterMs: number): AdmitResult {
    // Only limits count as `rejected`; a closed status gate is not usage.
    if (code === "concurrency_limited" || code === "rate_limited") this.usage.add(context.id, { rejected: 1 });
    return { ok: false, code, retryAfterMs, context };
  }
}
