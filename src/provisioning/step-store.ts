import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { tenants } from "../core/tenant-table.ts";
import { provisioningRuns, provisioningSteps } from "./schema.ts";
import { PLAN_DEPENDENT_STEPS, STEP_NAMES, type StepName } from "./step-names.ts";

type Queryable = Database | Transaction;

/**
 * A claimed step whose runner vanished (isolate evicted mid-step) may be claimed again after this.
 * Every step finishes far sooner; the runner also bounds each step with a timeout below it.
 */
export const STEP_LEASE_SECONDS = 60;

/**
 * Locks the tenant's row, then its run's, and returns the run: the order of every transaction that
 * changes both (POST /provision, plan changes, deletion). Taking the run's first can deadlock
 * against POST /provision.
 */
export async function lockTenantAndRun(tx: Transaction, tenantId: string): Promise<typeof provisioningRuns.$inferSelect | undefined> {
  await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for("update");
  const [run] = await tx.select().from(provisioningRuns).where(eq(provisioningRuns.tenantId, tenantId)).for("update");
  return run;
}

export async function ensureStepRows(db: Queryable, tenantId: string): Promise<void> {
  await db
    .insert(provisioningSteps)
    .values(STEP_NAMES.map((name, position) => ({ tenantId, name, position, status: "pending" as const })))
    .onConflictDoNothing();
}

export async function stepStatuses(db: Queryable, tenantId: string): Promise<Map<string, string>> {
  const rows = await db
    .select({ name: provisioningSteps.name, status: provisioningSteps.status })
    .from(provisioningSteps)
    .where(eq(provisioningSteps.tenantId, tenantId));
  return new Map(rows.map((row) => [row.name, row.status]));
}

export async function hasUnfinishedSteps(db: Queryable, tenantId: string): Promise<boolean> {
  const rows = await db
    .select({ name: provisioningSteps.name })
    .from(provisioningSteps)
    .where(and(eq(provisioningSteps.tenantId, tenantId), ne(provisioningSteps.status, "succeeded")))
    .limit(1);
  return rows.length > 0;
}

/**
 * Claims `name` for one runner: a conditional update, so of concurrent runners exactly one wins.
 * Returns the attempt number, which fences the completion (a reset or re-claimed step cannot be
 * marked finished by a runner that lost it). `firstOfRun` counts one run attempt per invocation.
 * One statement (one round trip, atomic): the run and the tenant change only if the claim is won.
 */
export async function claimStep(db: Database, tenantId: string, name: StepName, firstOfRun: boolean): Promise<number | undefined> {
  const result = await db.execute<{ attempts: number }>(sql`
    with claimed as (
      update provisioning_steps
      set status = 'running', attempts = attempts + 1, started_at = now(), finished_at = null, duration_ms = null, error = null
      where tenant_id = ${tenantId} and name = ${name}
        and (status in ('pending', 'failed') or (status = 'running' and started_at < now() - make_interval(secs => ${STEP_LEASE_SECONDS})))
        and exists (select 1 from tenants where id = ${tenantId} and status not in ('deleted', 'failed'))
      returning attempts
    ), run as (
      update provisioning_runs
      set state = 'running', attempts = attempts + ${firstOfRun ? 1 : 0}, started_at = coalesce(started_at, now()), finished_at = null, updated_at = now()
      where tenant_id = ${tenantId} and state <> 'failed' and exists (select 1 from claimed)
    ), tenant as (
      update tenants
      set status = 'provisioning', updated_at = now(), config_version = config_version + 1
      where id = ${tenantId} and status = 'pending' and exists (select 1 from claimed)
    )
    select attempts from claimed`);
  const attempt = result.rows[0]?.attempts;
  return attempt === undefined ? undefined : Number(attempt);
}

/**
 * Seconds until the claim on a `running` step lapses and another runner may take it (0 when the
 * step is not running or its lease is over).
 */
export async function leaseSecondsLeft(db: Database, tenantId: string, name: StepName): Promise<number> {
  const [row] = await db
    .select({
      left: sql<number>`greatest(0, extract(epoch from (${provisioningSteps.startedAt} + make_interval(secs => ${STEP_LEASE_SECONDS}) - now())))::float8`,
    })
    .from(provisioningSteps)
    .where(and(eq(provisioningSteps.tenantId, tenantId), eq(provisioningSteps.name, name), eq(provisioningSteps.status, "running")));
  return row ? Number(row.left) : 0;
}

const fenced = (tenantId: string, name: StepName, attempt: number) =>
  and(
    eq(provisioningSteps.tenantId, tenantId),
    eq(provisioningSteps.name, name),
    eq(provisioningSteps.status, "running"),
    eq(provisioningSteps.attempts, attempt),
  );

/** False when the claim was lost meanwhile (reset by a plan change, or re-claimed after the lease). One statement, as the claim. */
export async function completeStep(
  db: Database,
  tenantId: string,
  name: StepName,
  attempt: number,
  durationMs: number,
  output: Record<string, unknown>,
): Promise<boolean> {
  const result = await db.execute<{ done: number }>(sql`
    with done as (
      update provisioning_steps
      set status = 'succeeded', duration_ms = ${durationMs}, output = ${JSON.stringify(output)}::jsonb, finished_at = now(), error = null
      where tenant_id = ${tenantId} and name = ${name} and status = 'running' and attempts = ${attempt}
      returning name
    ), run as (
      update provisioning_runs set updated_at = now() where tenant_id = ${tenantId} and exists (select 1 from done)
    )
    select count(*)::int as done from done`);
  return Number(result.rows[0]?.done ?? 0) > 0;
}

export async function failStep(db: Database, tenantId: string, name: StepName, attempt: number, durationMs: number, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(provisioningSteps)
      .set({ status: "failed", durationMs, error, finishedAt: sql`now()` })
      .where(fenced(tenantId, name, attempt))
      .returning({ name: provisioningSteps.name });
    if (failed.length === 0) return;
    await tx
      .update(provisioningRuns)
      .set({ error: `${name}: ${error}`, updatedAt: sql`now()` })
      .where(and(eq(provisioningRuns.tenantId, tenantId), ne(provisioningRuns.state, "failed")));
  });
}

/**
 * After a plan or override change (inside the change's transaction): the plan-dependent steps run
 * again. A runner holding one of them loses its claim (fencing) and the change's message re-runs it.
 */
export async function resetPlanDependentSteps(tx: Transaction, tenantId: string, tenantStatus: string): Promise<void> {
  await tx
    .update(provisioningSteps)
    .set({ status: "pending", error: null, durationMs: null, finishedAt: null })
    .where(and(eq(provisioningSteps.tenantId, tenantId), inArray(provisioningSteps.name, [...PLAN_DEPENDENT_STEPS])));
  // A failed tenant stays failed until an operator asks for POST /provision.
  if (tenantStatus === "failed") return;
  await tx
    .update(provisioningRuns)
    .set({ state: "queued", error: null, finishedAt: null, updatedAt: sql`now()` })
    .where(eq(provisioningRuns.tenantId, tenantId));
}
