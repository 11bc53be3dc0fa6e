import type { Services } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { withTimeout } from "../lib/with-timeout.ts";
import { contextFromRow } from "../core/context-from-row.ts";
import { invalidateCredential, invalidateTenant } from "../cache/invalidate.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import type { TenantRow } from "../core/tenant.ts";
import { actorOf } from "../core/tenant-context.ts";
import { findTenantRow } from "./repository.ts";

const RUNTIME_PUSH_TIMEOUT_MS = 2000;

/**
 * After a committed change to a tenant: drop the shared cached copies (tenant context, and the
 * credentials given) and push the new context to the tenant's runtime object. Never throws: the
 * database already holds the truth, and edges re-read it within TENANT_CACHE_TTL_MS anyway.
 */
export async function publishTenantChange(env: Env, services: Services, row: TenantRow, credentialHashes: readonly string[] = []): Promise<void> {
  const context = contextFromRow(row);
  const results = await Promise.allSettled([
    invalidateTenant(services.redis, row.id),
    ...credentialHashes.map((hash) => invalidateCredential(services.redis, hash)),
    withTimeout(runtimeFor(env, context).configure(context), RUNTIME_PUSH_TIMEOUT_MS, "runtime configure"),
  ]);
  const failures = results.flatMap((result) => (result.status === "rejected" ? [errorMessage(result.reason)] : []));
  if (failures.length > 0) logEvent("warn", "tenant change not fully published", { tenantId: row.id, failures });
}

/**
 * After a key is revoked: drop its cached credential, and close the realtime connections it (or a
 * ticket it asked for) opened, with 1008. Never throws, like publishTenantChange.
 */
export async function publishKeyRevocation(env: Env, services: Services, tenantId: string, keyId: string, hash: string): Promise<void> {
  const closeSockets = async () => {
    const row = await findTenantRow(services.db, tenantId);
    if (!row) return;
    const actor = actorOf({ kind: "api_key", keyId, scopes: [] });
    await withTimeout(runtimeFor(env, contextFromRow(row)).disconnectActor(tenantId, actor), RUNTIME_PUSH_TIMEOUT_MS, "runtime disconnect");
  };
  const results = await Promise.allSettled([invalidateCredential(services.redis, hash), closeSockets()]);
  const failures = results.flatMap((result) => (result.status === "rejected" ? [errorMessage(result.reason)] : []));
  if (failures.length > 0) logEvent("warn", "key revocation not fully published", { tenantId, keyId, failures });
}
