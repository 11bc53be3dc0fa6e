import { eq } from "drizzle-orm";
import type { Database, Transaction } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { isByokWrapping } from "./byok.ts";
import { EnvelopeError, masterWrappingKey, newDataKey, rewrapDataKey, tenantWrappingKey, unwrapDataKey, wrapDataKey } from "./envelope.ts";
import { integrityFailure, wrappingKeyMismatch, wrappingKeyRequired, wrappingKeyUnexpected } from "./errors.ts";
import { MasterKeyConfigError, masterKeyById, masterKeyRing, type MasterKeyEnv, type MasterKeyRing } from "./master-keys.ts";
import { tenantDataKeys } from "./schema.ts";
import { log } from "../lib/log.ts";

type Queryable = Database | Transaction;

export type DataKeyRow = typeof tenantDataKeys.$inferSelect;

/** The deployment's master keys; a missing or malformed MASTER_KEY is a 503, not a crash. */
export async function loadMasterKeys(env: MasterKeyEnv): Promise<MasterKeyRing> {
  try {
    return await masterKeyRing(env);
  } catch (error) {
    if (!(error instanceof MasterKeyConfigError)) throw error;
    log.error("master key misconfigured", { error });
    throw new ApiError("unavailable", "Secrets are unavailable: the deployment's master key is misconfigured.", { retryAfterMs: 30_000 });
  }
}

export async function findDataKey(db: Queryable, tenantId: string): Promise<DataKeyRow | undefined> {
  const [row] = await db.select().from(tenantDataKeys).where(eq(tenantDataKeys.tenantId, tenantId)).limit(1);
  return row;
}

/**
 * The tenant's data key row, created if missing: a fresh key wrapped by the current master key.
 * Safe under concurrency (INSERT … ON CONFLICT DO NOTHING, then read what won). Provisioning calls
 * it as a step with the owner connection; the data plane calls it lazily inside the tenant's
 * row-level-security scope. Never changes an existing row.
 */
export async function ensureTenantDataKey(db: Queryable, env: MasterKeyEnv, tenantId: string): Promise<DataKeyRow> {
  const existing = await findDataKey(db, tenantId);
  if (existing) return existing;
  const ring = await loadMasterKeys(env);
  const raw = newDataKey();
  let wrappedKey: string;
  try {
    wrappedKey = await wrapDataKey(await masterWrappingKey(ring.current), raw, tenantId);
  } finally {
    raw.fill(0);
  }
  const [inserted] = await db
    .insert(tenantDataKeys)
    .values({ tenantId, wrappedKey, wrappingKeyId: ring.current.id })
    .onConflictDoNothing()
    .returning();
  if (inserted) return inserted;
  const winner = await findDataKey(db, tenantId);
  if (!winner) throw new Error(`data key of ${tenantId} neither inserted nor found`);
  return winner;
}

/**
 * The key-encryption key that opens `row`: the master key it names (current or previous), or the
 * tenant's own key, which must then come with the request (and only then).
 */
async function wrappingKeyFor(row: DataKeyRow, env: MasterKeyEnv, supplied: Uint8Array | undefined): Promise<CryptoKey> {
  if (isByokWrapping(row.wrappingKeyId)) {
    if (!supplied) throw wrappingKeyRequired();
    return tenantWrappingKey(supplied);
  }
  if (supplied) throw wrappingKeyUnexpected();
  const master = masterKeyById(await loadMasterKeys(env), row.wrappingKeyId);
  if (!master) {
    throw integrityFailure("data_key_unavailable", { tenantId: row.tenantId, wrappingKeyId: row.wrappingKeyId, cause: "master key not configured" });
  }
  return masterWrappingKey(master);
}

/** A failed unwrap: the caller's own key is wrong (BYOK), or the platform's row or keys are (503). */
function unwrapFailure(row: DataKeyRow): ApiError {
  if (isByokWrapping(row.wrappingKeyId)) return wrappingKeyMismatch();
  return integrityFailure("data_key_unavailable", { tenantId: row.tenantId, wrappingKeyId: row.wrappingKeyId, cause: "unwrap failed" });
}

/** The tenant's data key, unwrapped for this request only (never cached, never extractable). */
export async function openDataKey(row: DataKeyRow, env: MasterKeyEnv, supplied: Uint8Array | undefined): Promise<CryptoKey> {
  const kek = await wrappingKeyFor(row, env, supplied);
  try {
    return await unwrapDataKey(kek, row.wrappedKey, row.tenantId);
  } catch (error) {
    throw error instanceof EnvelopeError ? unwrapFailure(row) : error;
  }
}

/** The same data key wrapped under `to` instead; the secrets it encrypts are untouched. */
export async function rewrapTenantDataKey(row: DataKeyRow, env: MasterKeyEnv, supplied: Uint8Array | undefined, to: CryptoKey): Promise<string> {
  const kek = await wrappingKeyFor(row, env, supplied);
  try {
    return await rewrapDataKey(kek, to, row.wrappedKey, row.tenantId);
  } catch (error) {
    throw error instanceof EnvelopeError ? unwrapFailure(row) : error;
  }
}
