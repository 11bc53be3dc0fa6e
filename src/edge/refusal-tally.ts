import type { RequestOutcome } from "../core/outcomes.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import type { RefusalCounts } from "../../durable-objects/tenant-runtime/admission.ts";
import { runtimeFor, runtimeObjectName, type RuntimePlacement } from "../../durable-objects/tenant-runtime/stub.ts";
import { log } from "../lib/log.ts";

/**
 * How long an isolate gathers the refusals it decided alone before reporting them. The contract
 * (v1.1) allows 1 s; half of it leaves room for the call itself.
 */
export const REPORT_AFTER_MS = 500;
/** A batch whose report failed is sent again (same id: counted once) this many times in all. */
const MAX_ATTEMPTS = 4;
/** How long `reportRefusalsNow` waits for reports other requests have under way. */
const SETTLE_MS = 2000;

interface Batch {
  /** Lets the runtime object count a resent batch once (durable-objects/tenant-runtime/edge-report-ledger.ts). */
  id: string;
  /** Any tenant the runtime object serves: enough to reach the object. */
  placement: RuntimePlacement;
  /** By tenant and minute. */
  counts: Map<string, RefusalCounts>;
  attempts: number;
}

const minuteOf = (epochMs: number) => Math.floor(epochMs / 60_000) * 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Refusals decided at the edge (token bucket, quota, scope, status gate) cost no call on their
 * path: each is tallied here, per runtime object, and the tallies go to the objects in one call
 * per object at most every REPORT_AFTER_MS, from the `waitUntil` of the request that started the
 * tally. Per isolate, like every edge cache. Lost only if the isolate dies before reporting,
 * which the contract allows.
 */
class RefusalTally {
  private gathering = new Map<string, Batch>();
  private reportScheduled = false;
  private inFlight = 0;

  note(env: Env, tenant: TenantContext, outcome: RequestOutcome, rejected: boolean, defer: (p: Promise<unknown>) => void, now = Date.now()): void {
    const name = runtimeObjectName(env, tenant);
    let batch = this.gathering.get(name);
    if (!batch) {
      batch = { id: crypto.randomUUID(), placement: { id: tenant.id, isolation: tenant.isolation, region: tenant.region }, counts: new Map(), attempts: 0 };
      this.gathering.set(name, batch);
    }
    const minute = minuteOf(now);
    const key = `${tenant.id}@${minute}`;
    let counts = batch.counts.get(key);
    if (!counts) {
      counts = { tenantId: tenant.id, minute, rejected: 0, outcomes: {} };
      batch.counts.set(key, counts);
    }
    if (rejected) counts.rejected++;
    counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
    if (!this.reportScheduled) {
      this.reportScheduled = true;
      defer(
        sleep(REPORT_AFTER_MS).then(() => {
          this.reportScheduled = false;
          return this.report(env);
        }),
      );
    }
  }

  /** Sends everything gathered; a batch whose call failed is sent again, a few times, with its id. */
  async report(env: Env): Promise<void> {
    let batches = [...this.gathering.values()];
    this.gathering = new Map();
    if (batches.length === 0) return;
    this.inFlight++;
    try {
      while (batches.length > 0) {
        const settled = await Promise.all(batches.map((batch) => this.send(env, batch)));
        batches = batches.filter((_, index) => !settled[index]);
        if (batches.length > 0) await sleep(REPORT_AFTER_MS);
      }
    } finally {
      this.inFlight--;
    }
  }

  /** Reports now, and waits for reports other requests have under way (a usage flush comes next). */
  async reportNow(env: Env): Promise<void> {
    await this.report(env);
    const deadline = Date.now() + SETTLE_MS;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(5);
  }

  /** True when the batch is done with: delivered, or given up after MAX_ATTEMPTS. */
  private async send(env: Env, batch: Batch): Promise<boolean> {
    batch.attempts++;
    try {
      await runtimeFor(env, batch.placement).recordRefusals(batch.id, [...batch.counts.values()]);
      return true;
    } catch (error) {
      const givenUp = batch.attempts >= MAX_ATTEMPTS;
      log[givenUp ? "error" : "warn"](givenUp ? "refusal counts given up after failed reports" : "refusal counts not reported yet; will resend", {
        tenantId: batch.placement.id,
        error,
      });
      return givenUp;
    }
  }
}

/** Per isolate. */
export const refusalTally = new RefusalTally();

/** Before a usage flush: this isolate's refusals reach their runtime objects first. */
export function reportRefusalsNow(env: Env): Promise<void> {
  return refusalTally.reportNow(env);
}
