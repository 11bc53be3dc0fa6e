import { recordAudit } from "../audit/record.ts";
import type { Services } from "../services/open-services.ts";
import { checkInjectedFault, takeInjectedFault } from "../test-hooks/faults.ts";
import { dropDedicatedSchema, ensureDedicatedSchema } from "../storage/dedicated-schema.ts";
import type { TenantDataScope } from "../storage/tenant-data.ts";
import { contextFromRow } from "../core/context-from-row.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { publishTenantChange } from "../tenants/publish-change.ts";
import type { TenantRow } from "../core/tenant.ts";
import { MIGRATION_STEPS, type MigrationRecord, type MigrationStep } from "./migration-record.ts";
import { copyWatermark, loadTenant, migrationOf, saveMigration } from "./migration-store.ts";
import { copyRecords, countRecords, deleteAllRecords, divergeOneRow, syncAndVerify, syncAndVerifyFinalDelta } from "./record-copy.ts";

const CLAIM_MS = 60_000;
const DRAIN_TIMEOUT_MS = 10_000;

export type MigrationOutcome = "succeeded" | "rolled_back" | "busy" | "stale";

interface SaveOptions {
  /** A change the data plane must see (pause, switch): bump configVersion and push the new context. */
  publish?: boolean;
  isolation?: "shared" | "dedicated";
}

class Run {
  constructor(
    readonly env: Env,
    readonly services: Services,
    readonly token: string,
    public row: TenantRow,
    public record: MigrationRecord,
  ) {}

  /** Ms from `pausedAt` to the end of each phase of the pause (kept on the record: pausePhasesMs). */
  readonly pausePhases: Record<string, number> = {};

  /** The target's row count, taken after the last catch-up before the pause (lost on a resumption: the final sync then counts). */
  targetRecords: number | undefined;

  markPause(phase: string): void {
    if (this.record.pausedAt) this.pausePhases[phase] = Date.now() - Date.parse(this.record.pausedAt);
  }

  get tenantId() {
    return this.row.id;
  }

  scope(isolation: "shared" | "dedicated"): TenantDataScope {
    return { id: this.row.id, isolation };
  }

  async save(changes: Partial<MigrationRecord>, options: SaveOptions = {}): Promise<void> {
    await this.commit(changes, options);
    if (options.publish) await this.publishEverywhere();
  }

  /** The update alone: with `publish`, the data plane's copies are now stale until publishEverywhere. */
  async commit(changes: Partial<MigrationRecord>, options: SaveOptions = {}): Promise<void> {
    const runner = "runner" in changes ? changes.runner! : { token: this.token, until: new Date(Date.now() + CLAIM_MS).toISOString() };
    const record = { ...this.record, ...changes, runner };
    const row = await saveMigration(this.services.db, this.tenantId, { record, expectRunner: this.token, ...options });
    if (!row) throw new Error("the migration was taken over by another runner");
    this.row = row;
    this.record = record;
  }

  /** The new context to the tenant's runtime objects on both tiers: edges may still route to either. */
  async publishEverywhere(): Promise<void> {
    const context = contextFromRow(this.row);
    const other = context.isolation === "shared" ? "dedicated" : "shared";
    await Promise.all([
      publishTenantChange(this.env, this.services, this.row),
      runtimeFor(this.env, { ...context, isolation: other }).configure(context).catch(() => undefined),
    ]);
  }

  /**
   * Runs one step, recording it. Inside the write pause every save is a round trip writes wait for,
   * so there `quiet` keeps the step's start (`start`) or success (`end`) in memory until the next
   * save carries it: a crash in between only means the step runs again, and every step may.
   */
  async step(name: MigrationStep, work: () => Promise<Partial<MigrationRecord> | void>, quiet: { start?: boolean; end?: boolean } = {}): Promise<void> {
    const index = this.record.steps.findIndex((s) => s.name === name);
    const current = this.record.steps[index]!;
    if (current.status === "succeeded") return;
    const steps = [...this.record.steps];
    steps[index] = { ...current, status: "running", attempts: current.attempts + 1, error: null };
    if (quiet.start) this.record = { ...this.record, steps };
    else await this.save({ steps });
    const started = Date.now();
    try {
      await checkInjectedFault(this.env, this.services.redis, this.row, `migration:${name}`);
      const changes = (await work()) ?? {};
      const done = [...this.record.steps];
      done[index] = { ...done[index]!, status: "succeeded", durationMs: Date.now() - started };
      if (quiet.end) this.record = { ...this.record, ...changes, steps: done };
      else await this.save({ ...changes, steps: done });
    } catch (error) {
      const failed = [...this.record.steps];
      failed[index] = { ...failed[index]!, status: "failed", durationMs: Date.now() - started, error: message(error) };
      await this.save({ steps: failed }).catch(() => undefined);
      throw error;
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runtime objects answer in about a millisecond: poll often, every millisecond here is writes held. */
const DRAIN_POLL_MS = 2;

async function drain(run: Run): Promise<void> {
  const context = contextFromRow(run.row);
  const stubs = [runtimeFor(run.env, { ...context, isolation: "shared" }), runtimeFor(run.env, { ...context, isolation: "dedicated" })];
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const inFlight = await Promise.all(stubs.map((stub) => stub.inFlight(run.tenantId)));
    if (inFlight.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`requests still in flight after ${DRAIN_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}

/**
 * A catch-up pass that copied at most this many rows leaves a delta small enough for the write
 * pause; passes go on until one does (or MAX_CATCH_UP_PASSES: a writer faster than the copy).
 */
const SMALL_DELTA_ROWS = 200;
const MAX_CATCH_UP_PASSES = 8;

/** Copies what changed since `copiedUpTo`, again and again while writes go on, until little is left. */
async function catchUp(db: Services["db"], source: TenantDataScope, target: TenantDataScope, copiedUpTo: string): Promise<string> {
  let since = copiedUpTo;
  for (let pass = 1; ; pass++) {
    const next = await copyWatermark(db);
    const copied = await copyRecords(db, source, target, new Date(since));
    since = next.toISOString();
    if (copied <= SMALL_DELTA_ROWS || pass >= MAX_CATCH_UP_PASSES) return since;
  }
}

async function removeStorage(run: Run, isolation: "shared" | "dedicated"): Promise<void> {
  if (isolation === "dedicated") await dropDedicatedSchema(run.services.db, run.tenantId);
  else await deleteAllRecords(run.services.db, run.scope("shared"));
}

/**
 * Copy, catch up, verify (all while writes go on), then pause writes only for the last small delta
 * and the switch; clean up. Every step recorded and resumable. The pause's work grows with what
 * changed since the verification, not with the tenant: see syncAndVerifyFinalDelta.
 */
async function forward(run: Run): Promise<void> {
  const { db } = run.services;
  const { from, to } = run.record;
  const source = run.scope(from);
  const target = run.scope(to);

  await run.step("prepare", async () => {
    // Edges stop admitting the tenant's requests on their own (admission grants) and end their
    // blocks within GRANT_USE_MS, long before the pause drains what is in flight.
    await run.save({}, { publish: true });
    if (to === "dedicated") await ensureDedicatedSchema(db, run.tenantId);
    return { copiedUpTo: (await copyWatermark(db)).toISOString() };
  });
  await run.step("copy", async () => {
    await copyRecords(db, source, target);
  });
  await run.step("catch_up", async () => ({ copiedUpTo: await catchUp(db, source, target, run.record.copiedUpTo!) }));
  await run.step("verify", async () => {
    const verifiedSince = (await copyWatermark(db)).toISOString();
    const verified = await syncAndVerify(db, source, target, new Date(run.record.copiedUpTo!));
    // The full verification took O(records) while writes went on: catch up with them before pausing.
    const copiedUpTo = await catchUp(db, source, target, verifiedSince);
    // The target's count (O(records)) before the pause rather than inside it: only this migration
    // writes the target, and it does not again until the final sync.
    run.targetRecords = await countRecords(run.services.dbHttp, target);
    return { verifiedSince, verified, copiedUpTo };
  });
  // Writes wait from here to the switch's update: no bookkeeping round trip of its own in between.
  await run.step(
    "pause",
    async () => {
      await run.save({ state: "switching", pausedAt: run.record.pausedAt ?? new Date().toISOString() }, { publish: true });
      run.markPause("refusing");
      await drain(run);
      run.markPause("drained");
    },
    { end: true },
  );
  await run.step(
    "sync",
    async () => {
      if (await takeInjectedFault(run.env, run.services.redis, run.row, "migration:diverge")) await divergeOneRow(db, target);
      const verifiedSince = run.record.verifiedSince ? new Date(run.record.verifiedSince) : undefined;
      const verified = await syncAndVerifyFinalDelta(db, run.services.dbHttp, source, target, new Date(run.record.copiedUpTo!), verifiedSince, run.targetRecords, () => run.markPause("recounting"));
      run.markPause("synced");
      return { verified };
    },
    { start: true, end: true },
  );
  await run.step(
    "switch",
    async () => {
      const oldRuntime = runtimeFor(run.env, { ...contextFromRow(run.row), isolation: from });
      // A resumed switch keeps the pause measured the first time.
      const pause = run.record.switched ? run.record.writePauseMs : run.record.pausedAt ? Date.now() - Date.parse(run.record.pausedAt) : null;
      await run.commit({ switched: true, state: "running", writePauseMs: pause }, { publish: true, isolation: to });
      run.markPause("switched");
      await run.publishEverywhere();
      run.markPause("resumed");
      // Carried by the next save.
      run.record = { ...run.record, pausePhasesMs: run.pausePhases };
      // Writes flow again. Usage counted by the old runtime goes to Postgres now; a failure loses
      // nothing (its alarm retries).
      await oldRuntime.flushUsage(run.tenantId).catch(() => undefined);
      await oldRuntime.reconnectClients(run.tenantId).catch(() => undefined);
      if (to === "dedicated") await runtimeFor(run.env, contextFromRow(run.row)).warmPin(run.tenantId);
      else await oldRuntime.unpin().catch(() => undefined);
    },
    { start: true },
  );
  await run.step("cleanup", async () => {
    await removeStorage(run, from);
  });
  await run.save({ state: "succeeded", finishedAt: new Date().toISOString(), runner: null }, { publish: true });
  await recordAudit(db, {
    tenantId: run.tenantId,
    actor: "system",
    action: "tenant.isolation_changed",
    details: {
      migrationId: run.record.id,
      from,
      to,
      reason: run.record.reason ?? "manual",
      records: run.record.verified?.records ?? 0,
      writePauseMs: run.record.writePauseMs,
    },
  });
}

/** Before the switch: writes resume on the source, the target's copy goes, nothing else changed. */
async function rollback(run: Run, cause: unknown): Promise<void> {
  await run.save({ state: "failed", error: message(cause), finishedAt: new Date().toISOString() }, { publish: true });
  await removeStorage(run, run.record.to).catch(() => undefined);
  await recordAudit(run.services.db, {
    tenantId: run.tenantId,
    actor: "system",
    action: "tenant.isolation_failed",
    details: { migrationId: run.record.id, from: run.record.from, to: run.record.to, error: message(cause) },
  });
}

/**
 * Runs (or resumes) the tenant's migration `migrationId`. Before the switch any failure rolls back;
 * after it the migration only goes forward and a failure is retried (the queue redelivers).
 */
export async function runMigration(env: Env, services: Services, tenantId: string, migrationId: string): Promise<MigrationOutcome> {
  const row = await loadTenant(services.db, tenantId);
  const record = row ? migrationOf(row) : null;
  if (!row || !record || record.id !== migrationId || record.state === "succeeded" || record.state === "failed") return "stale";
  if (record.runner && Date.parse(record.runner.until) > Date.now()) return "busy";

  const token = crypto.randomUUID();
  const claimed = { ...record, state: record.state === "queued" ? ("running" as const) : record.state, runner: { token, until: new Date(Date.now() + CLAIM_MS).toISOString() } };
  const claimedRow = await saveMigration(services.db, tenantId, { record: claimed, expectRunner: record.runner?.token ?? null });
  if (!claimedRow) return "busy";
  const run = new Run(env, services, token, claimedRow, claimed);
  try {
    await forward(run);
    return "succeeded";
  } catch (error) {
    if (run.record.switched) {
      // Forward only from here: free the claim so the redelivery resumes at once.
      await run.save({ runner: null }).catch(() => undefined);
      throw error;
    }
    await rollback(run, error);
    return "rolled_back";
  }
}

/** The dead-letter end of a migration: whatever state it is in, leave the tenant writable and consistent. */
export async function abandon(env: Env, services: Services, tenantId: string, migrationId: string): Promise<void> {
  const row = await loadTenant(services.db, tenantId);
  const record = row ? migrationOf(row) : null;
  if (!row || !record || record.id !== migrationId || record.state === "succeeded" || record.state === "failed") return;
  const token = crypto.randomUUID();
  const claimed = await saveMigration(services.db, tenantId, { record: { ...record, runner: { token, until: new Date(Date.now() + CLAIM_MS).toISOString() } } });
  if (!claimed) return;
  const run = new Run(env, services, token, claimed, migrationOf(claimed)!);
  if (!record.switched) {
    await rollback(run, new Error("retries exhausted"));
    return;
  }
  await run.save({ state: "failed", error: "switched, but the old copy was not removed (retries exhausted)", finishedAt: new Date().toISOString() }, { publish: true });
}
