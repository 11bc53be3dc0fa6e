import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database, Transaction } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { newId } from "../lib/ids.ts";
import { tenants } from "../core/tenant-table.ts";
import { generateApiKey } from "./api-keys.ts";
import { SCOPES, type Scope } from "../core/tenant-context.ts";
import { apiKeys } from "./schema.ts";
import { iso, keyView } from "./view.ts";

export { keyView };

/** Scopes in their canonical order. */
const normalizeScopes = (scopes: readonly Scope[] | undefined): Scope[] => SCOPES.filter((scope) => (scopes ?? SCOPES).includes(scope));

/** The tenant, locked for the transaction: a key is never added to a tenant being deleted. */
async function lockLiveTenant(tx: Transaction, tenantId: string): Promise<void> {
  const [tenant] = await tx.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, tenantId)).for("share");
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  if (tenant.status === "deleted") throw new ApiError("conflict", "The tenant is deleted; it cannot get new keys.");
}

export async function createKey(db: Database, tenantId: string, input: { name: string; scopes?: Scope[]; expiresAt?: string }, actor = "admin") {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new ApiError("invalid_request", "expiresAt must be in the future.", { errors: [{ path: "body.expiresAt", message: "Must be in the future" }] });
  }
  const scopes = normalizeScopes(input.scopes);
  const key = await generateApiKey();
  return db.transaction(async (tx) => {
    await lockLiveTenant(tx, tenantId);
    const [row] = await tx
      .insert(apiKeys)
      .values({ id: newId("key"), tenantId, name: input.name, hash: key.hash, start: key.start, scopes, expiresAt })
      .returning();
    if (!row) throw new Error("insert returned no key");
    await recordAudit(tx, {
      tenantId,
      actor,
      action: "key.created",
      details: { keyId: row.id, name: row.name, scopes, expiresAt: iso(row.expiresAt) },
    });
    const { revokedAt: _revokedAt, ...view } = keyView(row);
    return { ...view, key: key.secret };
  });
}

export async function listKeys(db: Database, tenantId: string) {
  const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  return rows.map(keyView);
}

/**
 * Revokes one key of one tenant. Revoking a revoked key is a no-op (no second audit entry).
 * Returns the key's hash when this call revoked it, so its cached credential can be dropped.
 */
export async function revokeKey(db: Database, tenantId: string, keyId: string, actor = "admin"): Promise<{ hash: string; revoked: boolean }> {
  return db.transaction(async (tx) => {
    const [key] = await tx
      .select({ hash: apiKeys.hash, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId)));
    if (!key) throw new ApiError("not_found", "No such key for this tenant.");
    const revoked = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (revoked.length > 0) await recordAudit(tx, { tenantId, actor, action: "key.revoked", details: { keyId } });
    return { hash: key.hash, revoked: revoked.length > 0 };
  });
}
