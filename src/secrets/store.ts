import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Transaction } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import type { SealedSecret } from "./envelope.ts";
import { MAX_SECRETS_PER_TENANT } from "./limits.ts";
import { tenantDataKeys, tenantSecrets } from "./schema.ts";

/**
 * Queries on `tenant_secrets`, always run inside the tenant's row-level-security scope
 * (withTenantData). The explicit tenant filter is there for the index; Postgres enforces it anyway.
 */
const secretOf = (tenantId: string, name: string) => and(eq(tenantSecrets.tenantId, tenantId), eq(tenantSecrets.name, name));

export interface StoredSecret extends SealedSecret {
  keyVersion: number;
  updatedAt: Date;
}

/** The secret and its tenant's data key row, in one query. */
export async function findSecret(tx: Transaction, tenantId: string, name: string) {
  const [row] = await tx
    .select({ secret: tenantSecrets, dataKey: tenantDataKeys })
    .from(tenantSecrets)
    .innerJoin(tenantDataKeys, eq(tenantDataKeys.tenantId, tenantSecrets.tenantId))
    .where(secretOf(tenantId, name))
    .limit(1);
  return row;
}

export function listSecrets(tx: Transaction, tenantId: string) {
  return tx
    .select({ name: tenantSecrets.name, updatedAt: tenantSecrets.updatedAt })
    .from(tenantSecrets)
    .where(eq(tenantSecrets.tenantId, tenantId))
    .orderBy(asc(tenantSecrets.name));
}

export async function deleteSecret(tx: Transaction, tenantId: string, name: string): Promise<boolean> {
  const deleted = await tx.delete(tenantSecrets).where(secretOf(tenantId, name)).returning({ name: tenantSecrets.name });
  return deleted.length > 0;
}

/**
 * Replaces or creates the secret. A new name takes the tenant's secrets lock first, so the count
 * cap holds under concurrent writers; replacing an existing one does not need it.
 */
export async function writeSecret(
  tx: Transaction,
  tenantId: string,
  name: string,
  sealed: SealedSecret,
  keyVersion: number,
): Promise<{ updatedAt: Date; created: boolean }> {
  const values = { ciphertext: sealed.ciphertext, iv: sealed.iv, keyVersion, updatedAt: sql`now()` };
  const [updated] = await tx.update(tenantSecrets).set(values).where(secretOf(tenantId, name)).returning({ updatedAt: tenantSecrets.updatedAt });
  if (updated) return { updatedAt: updated.updatedAt, created: false };

  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`tenantry/secrets/${tenantId}`}, 0))`);
  const [counted] = await tx.select({ n: count() }).from(tenantSecrets).where(eq(tenantSecrets.tenantId, tenantId));
  if ((counted?.n ?? 0) >= MAX_SECRETS_PER_TENANT) {
    throw new ApiError("limit_exceeded", `A tenant may keep at most ${MAX_SECRETS_PER_TENANT} secrets; delete one first.`, {
      limit: MAX_SECRETS_PER_TENANT,
    });
  }
  const [written] = await tx
    .insert(tenantSecrets)
    .values({ tenantId, name, ...values })
    .onConflictDoUpdate({ target: [tenantSecrets.tenantId, tenantSecrets.name], set: values })
    .returning({ updatedAt: tenantSecrets.updatedAt });
  if (!written) throw new Error("secret upsert returned no row");
  return { updatedAt: written.updatedAt, created: true };
}
