import { DurableObject } from "cloudflare:workers";
import { openRedis } from "../../src/cache/redis.ts";
import { openDatabase, openHttpStatements, type DatabaseHandle } from "../../src/db/client.ts";
import { ApiError, toProblemResponse } from "../../src/http/problem.ts";
import { applyUsageBatch } from "../../src/metering/usage-sink.ts";
import { outcomeOfRefusal } from "../../src/metering/outcomes.ts";
import {
  GRANT_USE_MS,
  grantable,
  statusRefusal,
  statusRetryAfterMs,
  type AdmitRefusal,
  type AdmitRequest,
  type AdmitResult,
  type EdgeBatchId,
  type EdgeCounts,
  type GrantRequest,
  type GrantResult,
  type RuntimeSnapshot,
} from "./admission.ts";
import { type RequestUsage } from "../../src/core/usage.ts";
import { BackstopBuckets } from "./backstop-bucket.ts";
import { ContextStore } from "./context-store.ts";
import { DEFAULT_LEASE_TTL_MS, LeaseTable } from "./lease-table.ts";
import { EdgeReportLedger } from "./edge-report-ledger.ts";
import { DEFAULT_SHARD_SEATS, ShardAdmission, type SeatResult } from "./shard-admission.ts";
import { UsageCounters } from "./usage-counters.ts";
import { type UsageDelta } from "../../src/core/usage.ts";
import { UsageOutbox } from "./usage-outbox.ts";
import { admitFrame, executeFrame, type ExecutorDependencies } from "../../src/realtime/executor.ts";
import { readHandoff } from "../../src/realtime/forward.ts";
import { RealtimeHub } from "../../src/realtime/hub.ts";
import type { ChangeEvent } from "../../src/realtime/protocol.ts";
import { TicketLedger } from "./ticket-ledger.ts";
import type { MapChange } from "../../src/storage/maps/change-events.ts";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { answerRuntimeProbe } from "../../src/test-hooks/runtime-probe.ts";
import { log } from "../../src/lib/log.ts";
import { GatewaySockets } from "./gateway-sockets.ts";

/** Tenants with a smaller `maxConcurrentRequests` get no blocks (see giveBlock). */
const MIN_LIMIT_FOR_BLOCKS = 8;
/** How often a warm-pinned (dedicated) runtime wakes itself so it is never cold. */
const WARM_PIN_INTERVAL_MS = 30_000;
const MAX_FLUSH_BACKOFF_MS = 60_000;
const MAX_FLUSH_BACKOFF_DOUBLINGS = 3;
/** How long one usage batch's statement may take before the flush gives up (its alarm retries). */
const FLUSH_STATEMENT_TIMEOUT_MS = 10_000;
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
  private tickets!: TicketLedger;
  private hub!: RealtimeHub;
  private gatewaySockets!: GatewaySockets;
  private edgeReports!: EdgeReportLedger;
  private seats!: ShardAdmission;
  private readonly backstop = new BackstopBuckets();
  private nextAlarm: number | null = null;
  /** When this instance was constructed: a later value after idling means it hibernated and woke. */
  private readonly bootedAt = Date.now();
  private flushFailures = 0;
  /** Realtime writes under way, per tenant (REST requests are counted by their leases). */
  private readonly realtimeWrites = new Map<string, number>();
  /** Reused across realtime messages: a runtime object may keep sockets open across requests. */
  private database: DatabaseHandle | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.contexts = new ContextStore(ctx.storage.sql);
      this.leases = new LeaseTable(ctx.storage.sql, positiveNumber(env.LEASE_TTL_MS) ?? DEFAULT_LEASE_TTL_MS);
      this.usage = new UsageCounters(ctx.storage.sql);
      this.outbox = new UsageOutbox(ctx.storage, this.usage, ctx.id.toString());
      this.tickets = new TicketLedger(ctx.storage.sql);
      this.gatewaySockets = new GatewaySockets(ctx.storage.sql);
      this.edgeReports = new EdgeReportLedger(ctx.storage.sql);
      this.seats = new ShardAdmission(this.leases, { seats: positiveNumber(env.SHARD_SEATS) ?? DEFAULT_SHARD_SEATS });
      const frames: ExecutorDependencies = {
        context: (tenantId) => this.contexts.get(tenantId),
        db: () => (this.database ??= openDatabase(this.env)).db,
        redis: () => openRedis(this.env),
        backstop: this.backstop,
        count: (tenantId, delta) => this.count(tenantId, delta),
        defer: (promise) => this.ctx.waitUntil(promise),
        writing: (tenantId, delta) => this.realtimeWrites.set(tenantId, (this.realtimeWrites.get(tenantId) ?? 0) + delta),
      };
      this.hub = new RealtimeHub(ctx, {
        execute: (state, frame) => executeFrame(frames, state, frame),
        admitRead: async (state) => {
          const admission = await admitFrame(frames, state, false);
          return admission.ok ? undefined : admission.error;
        },
        count: (tenantId, delta) => this.count(tenantId, delta),
      });
      this.nextAlarm = await ctx.storage.getAlarm();
    });
  }

  /**
   * Pushed by the control plane on every change, so the gate holds even before edge caches expire.
   * A gate that closes (suspended, deleted, a migration) answers once no edge can still admit the
   * tenant with a block given earlier: the control plane's answer comes after every edge obeys it.
   */
  async configure(context: TenantContext): Promise<void> {
    const kept = this.contexts.offer(context);
    if (kept.status === "deleted") this.hub.disconnect(kept.id, 1008, "tenant deleted");
    if (!grantable(kept)) await sleep(this.blocksUsableFor(kept.id));
  }

  /**
   * How long blocks given for the tenant may still admit requests: a block that has not ended is
   * in the lease table, taken or last renewed at most GRANT_USE_MS before it stops admitting.
   */
  private blocksUsableFor(tenantId: string): number {
    const lastGiven = this.leases.lastBlockAt(tenantId);
    return lastGiven === null ? 0 : Math.max(0, lastGiven + GRANT_USE_MS - Date.now());
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const context = this.contexts.offer(request.context);
    // The edge answered 503 already: a lease now would only sit there until it expired.
    if (Date.now() > request.deadline) return { ok: false, code: "too_late", retryAfterMs: 1000, context };
    const refusal = statusRefusal(context, request.write);
    if (refusal) return this.refuse(context, refusal, statusRetryAfterMs(refusal));
    if (request.backstop) {
      const taken = this.backstop.take(context.id, context.limits.requestsPerSecond, context.limits.burst);
      if (!taken.ok) return this.refuse(context, "rate_limited", taken.retryAfterMs);
    }
    const seat = await this.seatFor(context, request);
    // A request that waited for its seat answers with the tenant as it is now.
    const current = this.contexts.get(context.id) ?? context;
    if (!seat.ok) return this.refuse(current, seat.code, seat.retryAfterMs);
    this.count(context.id, { requests: 1 });
    const grant = request.grant ? this.giveBlock(current, request.grant.grantId, request.grant.want) : undefined;
    return { ok: true, leaseId: seat.leaseId, context: current, waitedMs: seat.waitedMs, ...(grant ? { grant } : {}) };
  }

  /**
   * A concurrency lease. A shared shard's tenants also share its seats, waited for in fair turn
   * when the shard is full (shard-admission.ts); a dedicated object serves one tenant, whose own
   * limit is the only one.
   */
  private seatFor(context: TenantContext, request: AdmitRequest): Promise<SeatResult> | SeatResult {
    const max = context.limits.maxConcurrentRequests;
    if (context.isolation === "dedicated") {
      const leaseId = this.leases.acquire(context.id, max);
      return leaseId
        ? { ok: true, leaseId, waitedMs: 0 }
        : { ok: false, code: "concurrency_limited", retryAfterMs: Math.max(100, Math.min(1000, this.leases.nextExpiryIn(context.id))) };
    }
    return this.seats.take({
      tenantId: context.id,
      plan: context.plan,
      max,
      deadline: request.deadline,
      recheck: () => statusRefusal(this.contexts.get(context.id) ?? context, request.write),
    });
  }

  /**
   * A block of the tenant's concurrency slots an edge isolate admits with on its own for
   * GRANT_USE_MS (src/edge/admission-grants.ts), or a renewal of it. The block counts against the
   * tenant's limit (and the shard's seats) until the isolate ends it or its lease expires.
   */
  async grant(request: GrantRequest): Promise<GrantResult> {
    return this.giveBlock(this.contexts.offer(request.context), request.grantId, request.want);
  }

  /**
   * At most a quarter of the tenant's limit, so an idle block never holds much of it from the
   * requests the runtime admits itself; none under a limit of MIN_LIMIT_FOR_BLOCKS, where every
   * slot counts and requests are admitted one by one.
   */
  private giveBlock(context: TenantContext, grantId: string, wanted: number): GrantResult {
    const max = context.limits.maxConcurrentRequests;
    const want = Math.min(wanted, Math.floor(max / 4));
    if (!grantable(context) || max < MIN_LIMIT_FOR_BLOCKS) return { ok: false, context };
    const slots =
      context.isolation === "dedicated"
        ? this.leases.block(grantId, context.id, max, want, Number.POSITIVE_INFINITY)
        : this.seats.block(grantId, context.id, max, want);
    if (slots === 0) return { ok: false, context };
    return { ok: true, slots, useForMs: GRANT_USE_MS, context };
  }

  /** The isolate is done with its block: its slots go back (to waiting requests first). */
  async endGrant(grantId: string): Promise<void> {
    this.seats.release(grantId);
  }

  async renewLease(leaseId: string): Promise<void> {
    this.leases.renew(leaseId);
  }

  /** Open WebSockets of the tenant, realtime and gateway together: what `maxConnections` caps. */
  private openConnections(tenantId: string): number {
    return this.hub.connections(tenantId) + this.gatewaySockets.held(tenantId);
  }

  /** A gateway WebSocket about to open: a slot under `maxConnections`, or the refusal. */
  async openGatewaySocket(context: TenantContext): Promise<{ ok: true; socketId: string } | { ok: false; limit: number }> {
    const kept = this.contexts.offer(context);
    if (this.openConnections(kept.id) >= kept.limits.maxConnections) {
      this.count(kept.id, { rejected: 1 });
      return { ok: false, limit: kept.limits.maxConnections };
    }
    const socketId = this.gatewaySockets.open(kept.id);
    this.count(kept.id, { connections: this.openConnections(kept.id) });
    return { ok: true, socketId };
  }

  async renewGatewaySocket(socketId: string): Promise<void> {
    this.gatewaySockets.renew(socketId);
  }

  async closeGatewaySocket(tenantId: string, socketId: string): Promise<void> {
    const openedAt = this.gatewaySockets.close(socketId);
    if (openedAt !== null) this.count(tenantId, { connectionSeconds: Math.round((Date.now() - openedAt) / 1000) });
  }

  async release(tenantId: string, leaseId: string, usage: RequestUsage): Promise<void> {
    this.seats.release(leaseId);
    this.count(tenantId, usage);
  }

  /** Usage observed elsewhere, one event at a time. */
  async record(tenantId: string, delta: UsageDelta): Promise<void> {
    this.count(tenantId, delta);
  }

  /**
   * What edge isolates counted alone: refusals, and the usage of requests admitted with a grant,
   * gathered for a moment (src/edge/edge-tally.ts). A resent batch (same id) counts nothing.
   */
  async recordEdgeCounts(batchId: EdgeBatchId, reports: EdgeCounts[]): Promise<void> {
    if (!this.edgeReports.accept(batchId)) return;
    for (const { tenantId, minute, ...delta } of reports) this.count(tenantId, delta, minute);
  }

  /** Requests and realtime writes of the tenant still running here (a migration waits for zero). */
  async inFlight(tenantId: string): Promise<number> {
    return this.leases.held(tenantId) + this.seats.queued(tenantId) + (this.realtimeWrites.get(tenantId) ?? 0);
  }

  /**
   * Closes the realtime sockets a credential opened (`key:<keyId>`, as actorOf names it; a ticket's
   * socket carries the actor of the credential that asked for the ticket): the key was revoked.
   */
  async disconnectActor(tenantId: string, actor: string): Promise<void> {
    this.hub.disconnect(tenantId, 1008, "credential revoked", actor);
  }

  /** Tells the tenant's realtime clients to reconnect (its runtime moved). */
  async reconnectClients(tenantId: string): Promise<void> {
    this.hub.disconnect(tenantId, 1012, "tenant moved; reconnect");
  }

  /**
   * Puts every counter of the tenant durably into Postgres: waits for its in-flight requests to
   * report, seals the counters into a batch and applies every pending batch. Throws while
   * Postgres is down; nothing is lost, the next flush sends the same batches.
   */
  async flushUsage(tenantId: string): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (this.leases.held(tenantId) + this.seats.queued(tenantId) > 0 && Date.now() < deadline) await sleep(20);
    this.outbox.seal(tenantId);
    await this.sendBatches(tenantId);
  }

  /** A WebSocket upgrade the edge authenticated and admitted (see src/realtime/forward.ts); with TEST_HOOKS, the test probe. */
  override async fetch(request: Request): Promise<Response> {
    const probe = await answerRuntimeProbe(this.env, request, async () => ({
      bootedAt: this.bootedAt,
      pinned: (await this.ctx.storage.get<boolean>("warmPinned")) === true,
      alarmAt: await this.ctx.storage.getAlarm(),
    }));
    if (probe) return probe;
    const handoff = readHandoff(request);
    if (!handoff) return new Response("not found", { status: 404 });
    const context = this.contexts.offer(handoff.context);
    const refuse = (error: ApiError) => toProblemResponse(error, handoff.requestId);
    if (handoff.ticket && !this.tickets.redeem(handoff.ticket.jti)) {
      return refuse(new ApiError("unauthenticated", "This realtime ticket was already used."));
    }
    if (this.openConnections(context.id) >= context.limits.maxConnections) {
      this.count(context.id, { rejected: 1 });
      return refuse(
        new ApiError("connection_limit", "Too many realtime connections for this tenant.", { retryAfterMs: 1000, limit: context.limits.maxConnections }),
      );
    }
    return this.hub.accept({ tenantId: context.id, actor: handoff.actor, scopes: handoff.scopes });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.hub.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.hub.closed(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.hub.closed(ws);
  }

  /** A committed REST write: tell the tenant's subscribers. */
  async publish(change: MapChange): Promise<number> {
    const event: ChangeEvent = { map: change.map, key: change.key, op: change.op, value: change.value, version: change.version };
    return this.hub.publish(change.tenantId, event);
  }

  async connections(tenantId: string): Promise<number> {
    return this.hub.connections(tenantId);
  }

  /** For the metrics: connections and how long the oldest unflushed usage has waited (one tenant, or all here). */
  async metricsSnapshot(tenantId?: string): Promise<RuntimeSnapshot> {
    const waiting = [this.usage.oldestMinute(tenantId), this.outbox.oldestSealedAt(tenantId)].filter((at): at is number => at !== null);
    return {
      connections: tenantId === undefined ? this.ctx.getWebSockets().length : this.hub.connections(tenantId),
      unflushedSince: waiting.length > 0 ? Math.min(...waiting) : null,
      admissionWaits: this.seats.waitHistograms(),
    };
  }

  /** Dedicated tenants: a recurring alarm keeps the object warm. */
  async warmPin(_tenantId: string): Promise<void> {
    await this.ctx.storage.put("warmPinned", true);
    await this.scheduleAlarm(Date.now() + WARM_PIN_INTERVAL_MS);
  }

  /** The tenant moved to the shared tier: this object need not stay warm for it any more. */
  async unpin(): Promise<void> {
    await this.ctx.storage.delete("warmPinned");
    if (!this.usage.hasPending() && !this.outbox.hasPending()) {
      await this.ctx.storage.deleteAlarm();
      this.nextAlarm = null;
    } else {
      await this.scheduleAlarm(Date.now() + this.flushInterval());
    }
  }

  async purge(tenantId: string): Promise<void> {
    this.hub.disconnect(tenantId, 1008, "tenant deleted");
    this.contexts.purge(tenantId);
    this.leases.purge(tenantId);
    this.seats.pump();
    this.gatewaySockets.purge(tenantId);
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
      log.warn("usage flush failed; will retry", { error });
    }
    const pinned = (await this.ctx.storage.get<boolean>("warmPinned")) === true;
    const pending = this.usage.hasPending() || this.outbox.hasPending();
    const times: number[] = [];
    if (pending) times.push(Date.now() + this.flushBackoff());
    if (pinned) times.push(Date.now() + WARM_PIN_INTERVAL_MS);
    if (times.length > 0) await this.scheduleAlarm(Math.min(...times));
  }

  private async sendBatches(tenantId?: string): Promise<void> {
    const batches = this.outbox.batches(tenantId);
    if (batches.length === 0) return;
    // Over Neon's HTTP endpoint: a batch is one statement, one round trip, and no connection to open.
    const postgres = openHttpStatements(this.env, FLUSH_STATEMENT_TIMEOUT_MS);
    for (const batch of batches) {
      await applyUsageBatch(postgres, batch);
      this.outbox.remove(batch.id);
    }
    // Postgres answers again (also when an admin flush found it back first): end the outage backoff.
    if (this.flushFailures > 0) {
      this.flushFailures = 0;
      if (this.usage.hasPending() || this.outbox.hasPending()) await this.scheduleAlarm(Date.now() + this.flushInterval());
    }
  }

  /** Adds to the tenant's counters, in the minute of `at` (default: now). */
  private count(tenantId: string, delta: UsageDelta, at = Date.now()): void {
    // Benchmarks only (`npm run bench`, metering on vs off): METERING=off counts nothing. Default on.
    if (this.env.METERING === "off") return;
    this.usage.add(tenantId, delta, at);
    const flushAt = Date.now() + this.flushInterval();
    if (this.nextAlarm === null || this.nextAlarm > flushAt) void this.scheduleAlarm(flushAt);
  }

  /** After failures: 2×, 4×, then 8× the interval (at most a minute), so recovery is never far off. */
  private flushBackoff(): number {
    return Math.min(this.flushInterval() * 2 ** Math.min(this.flushFailures, MAX_FLUSH_BACKOFF_DOUBLINGS), MAX_FLUSH_BACKOFF_MS);
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
    // Only limits count as `rejected`; a closed status gate is not usage, but every refusal is an outcome.
    // The edge counts `too_late` itself: it gave up before this answer reached it.
    // A full shard (`shard_busy`) is the platform's capacity, not the tenant's limit: an outcome, not `rejected`.
    const rejected = code === "concurrency_limited" || code === "rate_limited" ? 1 : 0;
    if (code !== "too_late") this.count(context.id, { rejected, outcome: outcomeOfRefusal(code) });
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
