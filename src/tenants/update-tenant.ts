import { and, eq, sql } from "drizzle-orm";
import { recordAudit, type AuditEntry } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { validationError } from "../http/errors.ts";
import { fieldErrors } from "../http/validation.ts";
import { ApiError } from "../http/problem.ts";
import { canonicalJson } from "../lib/canonical-json.ts";
import { resetPlanDependentSteps } from "../provisioning/step-store.ts";
import { MetadataSchema, type UpdateTenantInput } from "./api-schemas.ts";
import { type TenantStatus } from "../core/tenant.ts";
import { changedMembers, isJsonObject, mergePatch } from "./merge-patch.ts";
import { tenants } from "../core/tenant-table.ts";
import { statusTransition } from "./transitions.ts";
import type { TenantRow } from "../core/tenant.ts";

export interface UpdateResult {
  row: TenantRow;
  changed: boolean;
  /** Plan or overrides changed: the plan-dependent provisioning steps must run again. */
  rerunSteps: boolean;
}

type TenantUpdate = Partial<Pick<TenantRow, "name" | "plan" | "overrides" | "metadata" | "status">>;

function mergedMetadata(current: Record<string, unknown>, patch: Record<string, unknown> | null): Record<string, unknown> {
  const merged = patch === null ? {} : mergePatch(current, patch);
  const parsed = MetadataSchema.safeParse(merged);
  if (!parsed.success) throw validationError(fieldErrors("json", parsed.error.issues.map((issue) => ({ ...issue, path: ["metadata", ...issue.path] }))));
  return isJsonObject(merged) ? merged : {};
}

function mergedOverrides(current: Record<string, unknown>, patch: Record<string, unknown> | null): Record<string, unknown> {
  if (patch === null) return {};
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  const merged = mergePatch(current, defined) as Record<string, unknown>;
  // Removing every threshold removes the override itself.
  if (isJsonObject(merged.autoPromote) && Object.keys(merged.autoPromote).length === 0) delete merged.autoPromote;
  return merged;
}

/**
 * PATCH /v1/tenants/{id}: one transaction holding the tenant's row lock; the update itself is
 * conditional on the status it read. Audits what changed (tenant.updated) and the status change
 * (tenant.suspended / tenant.resumed). A patch that changes nothing changes nothing, audit included.
 */
export async function updateTenant(db: Database, id: string, patch: UpdateTenantInput): Promise<UpdateResult> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.id, id)).for("update");
    if (!row) throw new ApiError("not_found", "No such tenant.");
    if (row.status === "deleted") throw new ApiError("conflict", "The tenant is deleted; it cannot be changed.");

    const update: TenantUpdate = {};
    const changes: Record<string, unknown> = {};
    if (patch.name !== undefined && patch.name !== row.name) {
      update.name = patch.name;
      changes.name = { from: row.name, to: patch.name };
    }
    if (patch.plan !== undefined && patch.plan !== row.plan) {
      update.plan = patch.plan;
      changes.plan = { from: row.plan, to: patch.plan };
    }
    if (patch.overrides !== undefined) {
      const next = mergedOverrides(row.overrides, patch.overrides);
      if (canonicalJson(next) !== canonicalJson(row.overrides)) {
        update.overrides = next;
        changes.overrides = { from: row.overrides, to: next };
      }
    }
    if (patch.metadata !== undefined) {
      const next = mergedMetadata(row.metadata, patch.metadata);
      if (canonicalJson(next) !== canonicalJson(row.metadata)) {
        update.metadata = next;
        changes.metadata = changedMembers(row.metadata, next);
      }
    }
    let statusEvent: AuditEntry | undefined;
    if (patch.status !== undefined) {
      const transition = statusTransition(row.status, patch.status);
      if (!transition.ok) throw new ApiError("conflict", transition.reason, { tenantStatus: row.status });
      update.status = patch.status;
      statusEvent = { tenantId: id, actor: "admin", action: transition.action, details: { from: row.status, to: patch.status } };
    }
    if (Object.keys(update).length === 0) return { row, changed: false, rerunSteps: false };

    const [updated] = await tx
      .update(tenants)
      .set({ ...update, updatedAt: sql`now()`, configVersion: sql`${tenants.configVersion} + 1` })
      .where(and(eq(tenants.id, id), eq(tenants.status, row.status)))
      .returning();
    if (!updated) throw new ApiError("conflict", "The tenant changed meanwhile; retry.");

    const rerunSteps = "plan" in changes || "overrides" in changes;
    if (rerunSteps) await resetPlanDependentSteps(tx, id, updated.status);
    const events: AuditEntry[] = [];
    if (Object.keys(changes).length > 0) events.push({ tenantId: id, actor: "admin", action: "tenant.updated", details: { changes } });
    if (statusEvent) events.push(statusEvent);
    await recordAudit(tx, ...events);
    return { row: updated, changed: true, rerunSteps };
  });
}
