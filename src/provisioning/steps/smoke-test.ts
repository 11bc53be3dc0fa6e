import { and, eq } from "drizzle-orm";
import type { Isolation } from "../../core/plans.ts";
import { mapRecords } from "../../storage/schema.ts";
import { withTenantData } from "../../storage/tenant-data.ts";
import type { Step } from "./step-context.ts";

/**
 * Reserved: the key holds a control character, which no tenant's key may (the contract forbids
 * them), so the probe can never touch a tenant's own record. It lives only between write and delete.
 */
export const SMOKE_MAP = "__smoke__";
const SMOKE_KEY = "\u0001probe";

/** Writes, reads back and deletes one record through the tenant's own isolation path, each in its own transaction. */
export const smokeTestStep: Step = async ({ services, tenant }) => {
  const scope = { id: tenant.id, isolation: tenant.isolation };
  const nonce = crypto.randomUUID();
  const value = { probe: nonce };
  const bytes = new TextEncoder().encode(JSON.stringify(value)).byteLength;
  const started = Date.now();
  const where = and(eq(mapRecords.tenantId, tenant.id), eq(mapRecords.map, SMOKE_MAP), eq(mapRecords.key, SMOKE_KEY));

  await withTenantData(services.db, scope, (tx) =>
    tx
      .insert(mapRecords)
      .values({ tenantId: tenant.id, map: SMOKE_MAP, key: SMOKE_KEY, value, version: 1, bytes })
      .onConflictDoUpdate({ target: [mapRecords.tenantId, mapRecords.map, mapRecords.key], set: { value, bytes } }),
  );
  const [read] = await withTenantData(services.db, scope, (tx) => tx.select({ value: mapRecords.value }).from(mapRecords).where(where));
  if ((read?.value as { probe?: string } | undefined)?.probe !== nonce) throw new Error("the smoke test record did not read back");
  const deleted = await withTenantData(services.db, scope, (tx) => tx.delete(mapRecords).where(where).returning({ key: mapRecords.key }));
  if (deleted.length !== 1) throw new Error("the smoke test record could not be deleted");
  return { isolation: scope.isolation, roundTripMs: Date.now() - started };
};
