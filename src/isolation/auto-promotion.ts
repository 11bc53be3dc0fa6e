import { and, eq, gte, inArray, lt, or, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import { auditEvents } from "../audit/schema.ts";
import type { Database } from "../db/client.ts";
import type { Services } from "../services/open-services.ts";
import { ApiError } from "../http/problem.ts";
import { usageMinutes } from "../metering/schema.ts";
import {
  DEFAULT_SUSTAINED_MINUTES,
  effectiveAutoPromote,
  PLAN_IDS,
  PLANS,
  planFeatures,
  type AutoPromote,
  type PlanId,
} from "../core/plans.ts";
import { enqueueProvisioning } from "../provisioning/enqueue.ts";
import { tenantStorage } from "../storage/maps/headers.ts";
import { withTenantData } from "../storage/tenant-data.ts";
import { tenants } from "../core/tenant-table.ts";
import { startMigration } from "./start-migration.ts";

/** Tenants looked at per run; the next run (every 5 minutes) goes on where this one stopped mattering. */
const MAX_CANDIDATES = 200;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface PromotionFinding {
  storageBytes?: { observed: number; threshold: number };
  sustainedRequestsPerSecond?: { observed: number; threshold: number; forMinutes: number };
}

export interface PromotionResult {
  checked: number;
  promoted: string[];
  recommended: string[];
}

/**
 * Shared, active tenants whose plan or overrides set promotion thresholds. Only these can pass one,
 * so the scan stays small however many tenants there are.
 */
async function candidates(db: Database) {
  const plansWithThresholds = PLAN_IDS.filter((id) => PLANS[id].autoPromote !== null);
  return await db
    .select({ id: tenants.id, plan: tenants.plan, overrides: tenants.overrides })
    .from(tenants)
    .where(
      and(
        eq(tenants.isolation, "shared"),
        eq(tenants.status, "active"),
        sql`coalesce(${tenants.migration}->>'state', 'none') not in ('queued', 'running', 'switching')`,
        plansWithThresholds.length > 0
          ? or(inArray(tenants.plan, plansWithThresholds), sql`${tenants.overrides}->'autoPromote' is not null`)
          : sql`${tenants.overrides}->'autoPromote' is not null`,
      ),
    )
    .orderBy(tenants.id)
    .limit(MAX_CANDIDATES);
}

/**
 * The slowest of the last `forMinutes` closed minutes, in requests per second: the rate the tenant
 * held throughout. A minute with no usage row had no requests.
 */
async function sustainedRate(db: Database, tenantId: string, forMinutes: number, now: Date): Promise<number> {
  const end = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  const start = new Date(end.getTime() - forMinutes * MINUTE_MS);
  const rows = await db
    .select({ requests: usageMinutes.requests })
    .from(usageMinutes)
    .where(and(eq(usageMinutes.tenantId, tenantId), gte(usageMinutes.minute, start), lt(usageMinutes.minute, end)));
  if (rows.length < forMinutes) return 0;
  return Math.min(...rows.map((row) => row.requests)) / 60;
}

/** Which thresholds the tenant passed, with what was observed; empty when none. */
export async function evaluateThresholds(db: Database, tenantId: string, thresholds: AutoPromote, now: Date): Promise<PromotionFinding> {
  const finding: PromotionFinding = {};
  if (thresholds.storageBytes !== undefined) {
    const storage = await withTenantData(db, { id: tenantId, isolation: "shared" }, (tx) => tenantStorage(tx, tenantId));
    if (storage.bytes >= thresholds.storageBytes) finding.storageBytes = { observed: storage.bytes, threshold: thresholds.storageBytes };
  }
  if (thresholds.sustainedRequestsPerSecond !== undefined) {
    const forMinutes = thresholds.forMinutes ?? DEFAULT_SUSTAINED_MINUTES;
    const rate = await sustainedRate(db, tenantId, forMinutes, now);
    if (rate >= thresholds.sustainedRequestsPerSecond) {
      finding.sustainedRequestsPerSecond = { observed: rate, threshold: thresholds.sustainedRequestsPerSecond, forMinutes };
    }
  }
  return finding;
}

/** Starts the online migration to dedicated; false when another run or an admin got there first. */
async function promote(env: Env, db: Database, tenantId: string): Promise<boolean> {
  try {
    const { migration } = await startMigration(db, tenantId, "dedicated", undefined, "auto");
    await enqueueProvisioning(env, { kind: "migrate", tenantId, migrationId: migration.id });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.code === "conflict") return false;
    throw error;
  }
}

/**
 * Records `tenant.promotion_recommended` unless one was recorded in the last 24 hours. The check
 * and the insert hold a per-tenant advisory lock, so concurrent runs record it once.
 */
async function recommend(db: Database, tenantId: string, finding: PromotionFinding, now: Date): Promise<boolean> {
  return await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tenantry.promotion_recommended'), hashtext(${tenantId}))`);
    const [recent] = await tx
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.tenantId, tenantId),
          eq(auditEvents.action, "tenant.promotion_recommended"),
          gte(auditEvents.at, new Date(now.getTime() - DAY_MS)),
        ),
      )
      .limit(1);
    if (recent) return false;
    await recordAudit(tx, { tenantId, actor: "system", action: "tenant.promotion_recommended", details: { reason: "auto", to: "dedicated", ...finding } });
    return true;
  });
}

/**
 * Scheduled: shared tenants past their promotion thresholds move to dedicated isolation online when
 * their plan has the `dedicated` feature; the others get a recommendation, at most once a day.
 */
export async function runAutoPromotion(env: Env, services: Services, now: Date): Promise<PromotionResult> {
  const { db } = services;
  const result: PromotionResult = { checked: 0, promoted: [], recommended: [] };
  for (const tenant of await candidates(db)) {
    const plan = tenant.plan as PlanId;
    const thresholds = effectiveAutoPromote(plan, tenant.overrides);
    if (!thresholds) continue;
    result.checked += 1;
    const finding = await evaluateThresholds(db, tenant.id, thresholds, now);
    if (Object.keys(finding).length === 0) continue;
    if (planFeatures(plan).includes("dedicated")) {
      if (await promote(env, db, tenant.id)) result.promoted.push(tenant.id);
    } else if (await recommend(db, tenant.id, finding, now)) {
      result.recommended.push(tenant.id);
    }
  }
  return result;
}
