import { eq } from "drizzle-orm";
import type { Services } from "../services/open-services.ts";
import type { Isolation } from "../core/plans.ts";
import { purgeTenantResources } from "../tenants/purge-resources.ts";
import { findTenantRow } from "../tenants/repository.ts";
import type { TenantRow } from "../core/tenant.ts";
import { finalizeRun, type FinalizeOutcome } from "./finalize.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { provisioningRuns } from "./schema.ts";
import { claimStep, completeStep, ensureStepRows, failStep, leaseSecondsLeft, stepStatuses } from "./step-store.ts";
import { STEP_NAMES, type StepName } from "./step-names.ts";
import { STEPS } from "./steps/index.ts";
import { checkInjectedFault } from "../test-hooks/faults.ts";
import { withTimeout } from "../lib/with-timeout.ts";
import { openDatabase } from "../db/client.ts";

/** Below the step lease, so a step that hangs fails (and is retried) before anyone may re-claim it. */
const STEP_TIMEOUT_MS = 30_000;

export type RunOutcome =
  /** Nothing to do: tenant gone, deleted or failed (only POST /provision resumes it), run failed. */
  | { kind: "skipped" }
  /**
   * Another runner holds a step, or a change reset one. The holder may be gone with its claim
   * committed (its connection broke before the answer), so the caller looks again after
   * `recheckInSeconds`, when the claim's lease has lapsed.
   */
  | { kind: "busy"; step: StepName; recheckInSeconds: number }
  | { kind: "finalized"; outcome: FinalizeOutcome };

export class StepFailure extends Error {
  constructor(
    readonly step: StepName,
    cause: unknown,
  ) {
    super(`step ${step} failed: ${errorMessage(cause)}`, { cause });
    this.name = "StepFailure";
  }
}

async function runnable(services: Services, tenantId: string): Promise<TenantRow | undefined> {
  const tenant = await findTenantRow(services.db, tenantId);
  if (!tenant || tenant.status === "deleted" || tenant.status === "failed") return undefined;
  const [run] = await services.db.select({ state: provisioningRuns.state }).from(provisioningRuns).where(eq(provisioningRuns.tenantId, tenantId));
  return run?.state === "failed" ? undefined : tenant;
}

/**
 * One delivery of a provisioning message: runs, in order, every step not yet succeeded, each
 * claimed first (one runner per step at a time), then finalizes. Safe to call any number of times,
 * concurrently: a finished step never runs again. Throws StepFailure for the queue to retry.
 */
export async function runProvisioning(env: Env, services: Services, tenantId: string): Promise<RunOutcome> {
  if (!(await runnable(services, tenantId))) return { kind: "skipped" };
  await ensureStepRows(services.db, tenantId);
  const known = await stepStatuses(services.db, tenantId);

  let claimedAny = false;
  for (const name of STEP_NAMES) {
    if (known.get(name) === "succeeded") continue;
    const attempt = await claimStep(services.db, tenantId, name, !claimedAny);
    if (attempt === undefined) {
      const now = (await stepStatuses(services.db, tenantId)).get(name);
      if (now === "succeeded") continue;
      return (await runnable(services, tenantId)) ? await busy(services, tenantId, name) : { kind: "skipped" };
    }
    claimedAny = true;

    const started = Date.now();
    let output: Record<string, unknown>;
    let tenant: TenantRow | undefined;
    try {
      // Inside the try: from the claim on, any failure must mark the step failed, or the step stays
      // `running` under its lease and every retry finds it busy (a PgBouncer restart here stranded a
      // tenant in the soak).
      tenant = await findTenantRow(services.db, tenantId);
      if (!tenant) return { kind: "skipped" };
      await checkInjectedFault(env, services.redis, tenant, name);
      output = await withTimeout(STEPS[name]({ env, services, tenant }), STEP_TIMEOUT_MS, `step ${name}`);
    } catch (error) {
      await recordStepFailure(env, services, tenantId, name, attempt, Date.now() - started, errorMessage(error)).catch((recordError: unknown) =>
        logEvent("error", "could not record a step failure", { tenantId, step: name, error: errorMessage(recordError) }),
      );
      throw new StepFailure(name, error);
    }
    if (!(await completeStep(services.db, tenantId, name, attempt, Date.now() - started, output))) {
      return await busy(services, tenantId, name);
    }
    if (await purgedMeanwhile(env, services, tenant)) return { kind: "skipped" };
  }
  return { kind: "finalized", outcome: await finalizeRun(env, services, tenantId) };
}

async function busy(services: Services, tenantId: string, name: StepName): Promise<RunOutcome> {
  const left = await leaseSecondsLeft(services.db, tenantId, name);
  return { kind: "busy", step: name, recheckInSeconds: Math.ceil(left) + 1 };
}

/** Waits before each fresh attempt to record a step's failure: about 4 s in all, past a pooler's restart. */
const RECORD_FAILURE_RETRY_MS = [250, 500, 1000, 2000];

/**
 * Marks the step failed so the queue's retry can claim it again. The step's own connection often
 * broke with it (PgBouncer restarted, PostgreSQL killed): the failure is then recorded over a fresh
 * one. Left `running`, the step would stay under its lease (60 s) and every retry would find it busy
 * until then. Found by the soak (scripts/soak).
 */
async function recordStepFailure(env: Env, services: Services, tenantId: string, name: StepName, attempt: number, durationMs: number, error: string): Promise<void> {
  try {
    return await failStep(services.db, tenantId, name, attempt, durationMs, error);
  } catch (first) {
    let last: unknown = first;
    for (const waitMs of RECORD_FAILURE_RETRY_MS) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const fresh = openDatabase(env);
      try {
        return await failStep(fresh.db, tenantId, name, attempt, durationMs, error);
      } catch (again) {
        last = again;
      } finally {
        await fresh.close().catch(() => {});
      }
    }
    throw last;
  }
}

/** A hard delete that ran while a step did may have been undone by the step: purge what it left. */
async function purgedMeanwhile(env: Env, services: Services, tenant: TenantRow): Promise<boolean> {
  if (await findTenantRow(services.db, tenant.id)) return false;
  await purgeTenantResources(env, services, { id: tenant.id, isolation: tenant.isolation, region: tenant.region }, []);
  return true;
}
