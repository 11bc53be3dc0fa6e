import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { apiKeys } from "../keys/schema.ts";
import { generateApiKey } from "../keys/api-keys.ts";
import { type Scope } from "../core/tenant-context.ts";
import { newId } from "../lib/ids.ts";
import { PLANS } from "../core/plans.ts";
import { provisioningRuns } from "../provisioning/schema.ts";
import { ensureStepRows } from "../provisioning/step-store.ts";
import type { CreateTenantInput } from "./api-schemas.ts";
import { claimIdempotencyKey, rememberResponse, requestFingerprint, type StoredResponse } from "./idempotency.ts";
import { findTenantView } from "./repository.ts";
import { tenants } from "../core/tenant-table.ts";

export interface CreateTenantResult {
  response: StoredResponse;
  /** True when a fresh tenant was made and its provisioning must be enqueued. */
  created: boolean;
  tenantId: string;
}

const FIRST_KEY_SCOPES: Scope[] = ["read", "write"];

/**
 * Stores the tenant as `pending` with its first API key (hashed), its provisioning run and the
 * audit trail, all in one transaction. With an Idempotency-Key, a repeat gets the first response.
 */
export async function createTenant(
  db: Database,
  masterKey: string,
  input: CreateTenantInput,
  idempotency?: { key: string; rawBody: unknown; previousMasterKey?: string },
): Promise<CreateTenantResult> {
  const fingerprint = idempotency ? await requestFingerprint(idempotency.rawBody) : undefined;
  const key = await generateApiKey();

  return db.transaction(async (tx) => {
    if (idempotency && fingerprint) {
      const claim = await claimIdempotencyKey(tx, masterKey, idempotency.key, fingerprint, idempotency.previousMasterKey);
      if (claim.kind === "replay") {
        const tenantId = (claim.response.body as { tenant: { id: string } }).tenant.id;
        return { response: claim.response, created: false, tenantId };
      }
    }

    const tenantId = newId("ten");
    const keyId = newId("key");
    await tx.insert(tenants).values({
      id: tenantId,
      name: input.name,
      plan: input.plan,
      status: "pending",
      isolation: PLANS[input.plan].isolation,
      region: input.region ?? null,
      email: input.email ?? null,
      overrides: input.overrides ?? {},
      metadata: input.metadata ?? {},
    });
    await tx.insert(apiKeys).values({
      id: keyId,
      tenantId,
      name: "default",
      hash: key.hash,
      start: key.start,
      scopes: FIRST_KEY_SCOPES,
    });
    await tx.insert(provisioningRuns).values({ tenantId, state: "queued" });
    await ensureStepRows(tx, tenantId);
    await recordAudit(
      tx,
      { tenantId, actor: "admin", action: "tenant.created", details: { name: input.name, plan: input.plan } },
      { tenantId, actor: "admin", action: "key.created", details: { keyId, name: "default", scopes: FIRST_KEY_SCOPES } },
    );

    const tenant = await findTenantView(tx, tenantId);
    const response: StoredResponse = {
      status: 202,
      body: { tenant, apiKey: { id: keyId, key: key.secret, scopes: FIRST_KEY_SCOPES } },
      headers: { Location: `/v1/tenants/${tenantId}` },
    };
    if (idempotency) await rememberResponse(tx, masterKey, idempotency.key, response);
    return { response, created: true, tenantId };
  });
}
