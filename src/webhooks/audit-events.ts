import { eq } from "drizzle-orm";
import type { Transaction } from "../db/client.ts";
import { apiKeys } from "../keys/schema.ts";
import { keyView } from "../keys/view.ts";
import { findTenantView } from "../tenants/repository.ts";
import { EVENT_OF_AUDIT_ACTION, type EventType } from "./event-types.ts";
import { subscribedTypes, writeEvents, type OutboxEvent } from "./outbox.ts";

/** What an audit entry carries that an event needs (src/audit/record.ts's AuditEntry fits). */
export interface AuditedChange {
  tenantId: string;
  action: string;
  details?: Record<string, unknown>;
}

export const isEventAction = (entry: AuditedChange) => Object.hasOwn(EVENT_OF_AUDIT_ACTION, entry.action);

/** `data` as the API shows the subject at this moment, read inside the change's transaction. */
async function eventData(tx: Transaction, type: EventType, entry: AuditedChange): Promise<Record<string, unknown>> {
  if (type === "key.created" || type === "key.revoked") {
    const keyId = typeof entry.details?.keyId === "string" ? entry.details.keyId : "";
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, keyId));
    return { tenantId: entry.tenantId, key: row ? keyView(row) : { id: keyId } };
  }
  const tenant = await findTenantView(tx, entry.tenantId);
  return { tenant: tenant ?? { id: entry.tenantId }, details: entry.details ?? {} };
}

/** The outbox rows of audited changes that are events, in the same transaction as the audit entries. */
export async function writeAuditEvents(tx: Transaction, entries: AuditedChange[]): Promise<void> {
  const candidates = entries.flatMap((entry) => {
    const type = Object.hasOwn(EVENT_OF_AUDIT_ACTION, entry.action) ? EVENT_OF_AUDIT_ACTION[entry.action] : undefined;
    return type ? [{ entry, type }] : [];
  });
  if (candidates.length === 0) return;
  const wanted = await subscribedTypes(tx);
  const events: OutboxEvent[] = [];
  for (const { entry, type } of candidates) {
    if (!wanted(type)) continue;
    events.push({ type, tenantId: entry.tenantId, data: await eventData(tx, type, entry) });
  }
  await writeEvents(tx, events);
}

/** `tenant.purged` has no audit entry (the purge removes the tenant's log): its event is written here, before the row goes. */
export async function writeTenantPurged(tx: Transaction, tenantId: string): Promise<void> {
  const wanted = await subscribedTypes(tx);
  if (!wanted("tenant.purged")) return;
  const tenant = await findTenantView(tx, tenantId);
  await writeEvents(tx, [{ type: "tenant.purged", tenantId, data: { tenant: tenant ?? { id: tenantId }, details: {} } }]);
}
