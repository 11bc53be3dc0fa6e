import type { Database } from "../db/client.ts";
import { withTenantData, type TenantDataScope } from "../storage/tenant-data.ts";
import { ensureTenantDataKey, openDataKey } from "./data-keys.ts";
import { decryptSecret, encryptSecret, EnvelopeError } from "./envelope.ts";
import { integrityFailure, secretNotFound } from "./errors.ts";
import type { MasterKeyEnv } from "./master-keys.ts";
import { deleteSecret, findSecret, listSecrets, writeSecret } from "./store.ts";

/**
 * Secrets live in the shared, RLS-guarded tables for every tier (dedicated tenants included), so
 * they are always accessed with the shared role scoped to the tenant.
 */
const scopeOf = (tenantId: string): TenantDataScope => ({ id: tenantId, isolation: "shared" });

export interface SecretRequest {
  db: Database;
  env: MasterKeyEnv;
  tenantId: string;
  /** The tenant's own wrapping key, when it sent one (BYOK). */
  wrappingKey: Uint8Array | undefined;
}

export async function readSecret(request: SecretRequest, name: string): Promise<{ value: string; updatedAt: Date }> {
  const { db, env, tenantId, wrappingKey } = request;
  const found = await withTenantData(db, scopeOf(tenantId), (tx) => findSecret(tx, tenantId, name));
  if (!found) throw secretNotFound(name);
  const dataKey = await openDataKey(found.dataKey, env, wrappingKey);
  if (found.secret.keyVersion !== found.dataKey.version) {
    throw integrityFailure("secret_integrity", { tenantId, name, cause: "key version mismatch" });
  }
  try {
    return { value: await decryptSecret(dataKey, tenantId, name, found.secret), updatedAt: found.secret.updatedAt };
  } catch (error) {
    if (error instanceof EnvelopeError) throw integrityFailure("secret_integrity", { tenantId, name, cause: "decryption failed" });
    throw error;
  }
}

export function storeSecret(request: SecretRequest, name: string, value: string): Promise<{ updatedAt: Date; created: boolean }> {
  const { db, env, tenantId, wrappingKey } = request;
  return withTenantData(db, scopeOf(tenantId), async (tx) => {
    const keyRow = await ensureTenantDataKey(tx, env, tenantId);
    const dataKey = await openDataKey(keyRow, env, wrappingKey);
    const sealed = await encryptSecret(dataKey, tenantId, name, value);
    return writeSecret(tx, tenantId, name, sealed, keyRow.version);
  });
}

export function secretNames(db: Database, tenantId: string): Promise<{ name: string; updatedAt: Date }[]> {
  return withTenantData(db, scopeOf(tenantId), (tx) => listSecrets(tx, tenantId));
}

export async function removeSecret(db: Database, tenantId: string, name: string): Promise<void> {
  const deleted = await withTenantData(db, scopeOf(tenantId), (tx) => deleteSecret(tx, tenantId, name));
  if (!deleted) throw secretNotFound(name);
}
