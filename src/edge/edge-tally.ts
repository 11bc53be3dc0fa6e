import type { RequestOutcome } from "../core/outcomes.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import type { RequestUsage } from "../core/usage.ts";
import type { EdgeBatchId, EdgeCounts } from "../../durable-objects/tenant-runtime/admission.ts";
import { runtimeFor, runtimeObjectName, type RuntimePlacement } from "../../durable-objects/tenant-runtime/stub.ts";
import { log } from "../lib/log.ts";

/**
 * How long an isolate gathers refusals it counted alone before reporting them. The contract (v1.1)
 * allows 1 s; 750 ms leaves the call its time. Each report is a runtime-object call on the thread
 * the tenant's neighbours are served on, so a flooding tenant's refusals go in as few as allowed.
 * Usage is reported sooner, so little is at risk if the isolate dies.
 */
export const REPORT_AFTER_MS = 750;
/** Usage of admitted requests goes sooner: an isolate that dies takes at most this much with it. */
export const USAGE_REPORT_AFTER_MS = 20;
/** A batch whose report failed is sent again (same id: counted once) this many times in all, this far apart. */
const MAX_ATTEMPTS = 4;
const RESEND_AFTER_MS = 250;
/** How long `reportNow` waits for reports other requests have under way. */
const SETTLE_MS = 2000;

interface Batch {
  /** Lets the runtime object count a resent batch once (durable-objects/tenant-runtime/edge-report-ledger.ts). */
  id: EdgeBatchId;
  /** Any tenant the runtime object serves: enough to reach the object. */
  placement: RuntimePlacement;
  /** By tenant and minute. */
  counts: Map<string, EdgeCounts>;
  attempts: number;
}

const minuteOf = (epochMs: number) => Math.floor(epochMs / 60_000) * 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What an isolate decides alone costs no call on the request's path: refusals (token bucket,
 * quota, scope, status gate) and the usage of requests admitted with a grant
 * (src/edge/admission-grants.ts) are tallied here, per runtime object, and the tallies go to the
 * objects in one call per object at most every REPORT_AFTER_MS, from the `waitUntil` of the
 * request that started the tally. Per isolate, like every edge cache.
 */
export class EdgeTally {
  private gathering = new Map<string, Batch>();
  /** When the gathered counts are to be reported; undefined while nothing is gathered. */
  private reportDue: number | undefined;
  /** Per runtime object, its report under way (and, chained behind it, the next one). */
  private readonly sending = new Map<string, Promise<void>>();
  /** Per runtime object, the report waiting for the one under way; it takes what is gathered when it leaves. */
  private readonly next = new Map<string, Promise<void>>();
  /** Names this isolate to the runtime objects; made on first use (no random values at global scope). */
  private source: string | undefined;
  private lastSeq = 0;

  /** A refusal decided here; `rejected`: by a limit (usage counts it). */
  refused(env: Env, tenant: TenantContext, outcome: RequestOutcome, rejected: boolean, defer: (p: Promise<unknown>) => void, now = Date.now()): void {
    const counts = this.countsOf(env, tenant, defer, now);
    if (rejected) counts.rejected++;
    counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
  }

  /**
   * A request admitted with a grant, counted as it starts and reported at once (beside its work,
   * not in its way): `requests` stays exact even if the isolate dies right after answering. While a
   * report to the same runtime object is under way, the start goes with the next one, sent as soon
   * as it returns: a busy tenant's starts travel together, one call in flight per object.
   */
  started(env: Env, tenant: TenantContext, defer: (p: Promise<unknown>) => void, now = Date.now()): void {
    this.countsOf(env, tenant, defer, now, 0).requests++;
  }

  /** A request admitted with a grant, once answered: what it did. */
  answered(env: Env, tenant: TenantContext, usage: RequestUsage & { outcome: RequestOutcome }, defer: (p: Promise<unknown>) => void, now = Date.now()): void {
    const counts = this.countsOf(env, tenant, defer, now, USAGE_REPORT_AFTER_MS);
    counts.readOps += usage.readOps;
    counts.writeOps += usage.writeOps;
    counts.bytesIn += usage.bytesIn;
    counts.bytesOut += usage.bytesOut;
    counts.outcomes[usage.outcome] = (counts.outcomes[usage.outcome] ?? 0) + 1;
  }

  private countsOf(env: Env, tenant: TenantContext, defer: (p: Promise<unknown>) => void, now: number, reportAfterMs = REPORT_AFTER_MS): EdgeCounts {
    const name = runtimeObjectName(env, tenant);
    let batch = this.gathering.get(name);
    if (!batch) {
      batch = { id: { source: (this.source ??= crypto.randomUUID()), seq: ++this.lastSeq }, placement: { id: tenant.id, isolation: tenant.isolation, region: tenant.region }, counts: new Map(), attempts: 0 };
      this.gathering.set(name, batch);
    }
    const minute = minuteOf(now);
    const key = `${tenant.id}@${minute}`;
    let counts = batch.counts.get(key);
    if (!counts) {
      counts = { tenantId: tenant.id, minute, requests: 0, readOps: 0, writeOps: 0, bytesIn: 0, bytesOut: 0, rejected: 0, outcomes: {} };
      batch.counts.set(key, counts);
    }
    const due = now + reportAfterMs;
    if (this.reportDue === undefined || due < this.reportDue) {
      // A report sooner than the one planned (usage after refusals): the later one finds little left.
      this.reportDue = due;
      defer(
        sleep(reportAfterMs).then(() => {
          if (this.reportDue !== due) return;
          this.reportDue = undefined;
          return this.report(env);
        }),
      );
    }
    return counts;
  }

  /**
   * Sends what is gathered (for one runtime object, `onlyFor` its name; else all), once the report
   * under way to the same object (if any) has returned; a batch whose call failed is sent again, a
   * few times, with its id. Resolves once the object has what was gathered before the call.
   */
  async report(env: Env, onlyFor?: string): Promise<void> {
    const names = onlyFor === undefined ? [...this.gathering.keys()] : [onlyFor];
    await Promise.all(names.map((name) => this.reportTo(env, name)));
  }

  private reportTo(env: Env, name: string): Promise<void> {
    const waiting = this.next.get(name);
    if (waiting) return waiting;
    const underWay = this.sending.get(name);
    if (!underWay && !this.gathering.has(name)) return Promise.resolve();
    const run = async () => {
      if (underWay) await underWay;
      this.next.delete(name);
      const batch = this.gathering.get(name);
      this.gathering.delete(name);
      if (batch) await this.deliver(env, batch);
    };
    const report: Promise<void> = run().finally(() => {
      if (this.sending.get(name) === report) this.sending.delete(name);
    });
    this.sending.set(name, report);
    if (underWay) this.next.set(name, report);
    return report;
  }

  private async deliver(env: Env, batch: Batch): Promise<void> {
    while (!(await this.send(env, batch))) await sleep(RESEND_AFTER_MS);
  }

  /** Reports now, and waits for reports other requests have under way (a usage flush comes next). */
  async reportNow(env: Env): Promise<void> {
    await this.report(env);
    const deadline = Date.now() + SETTLE_MS;
    while (this.sending.size > 0 && Date.now() < deadline) await sleep(5);
  }

  /** True when the batch is done with: delivered, or given up after MAX_ATTEMPTS. */
  private async send(env: Env, batch: Batch): Promise<boolean> {
    batch.attempts++;
    try {
      await runtimeFor(env, batch.placement).recordEdgeCounts(batch.id, [...batch.counts.values()]);
      return true;
    } catch (error) {
      const givenUp = batch.attempts >= MAX_ATTEMPTS;
      log[givenUp ? "error" : "warn"](givenUp ? "edge counts given up after failed reports" : "edge counts not reported yet; will resend", {
        tenantId: batch.placement.id,
        error,
      });
      return givenUp;
    }
  }
}

/** Per isolate. */
export const edgeTally = new EdgeTally();

/** Before a usage flush: what this isolate counted reaches the runtime objects first. */
export function reportEdgeCountsNow(env: Env): Promise<void> {
  return edgeTally.reportNow(env);
}
