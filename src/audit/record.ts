import type { Database, Transaction } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { isEventAction, writeAuditEvents } from "../webhooks/audit-events.ts";
import { auditEvents } from "./schema.ts";

export type AuditAction =
  | "tenant.created"
  | "tenant.updated"
  | "tenant.suspended"
  | "tenant.resumed"
  | "tenant.deleted"
  | "tenant.purged"
  | "tenant.provisioned"
  | "tenant.provisioning_failed"
  | "tenant.provisioning_retried"
  | "tenant.isolation_requested"
  | "tenant.isolation_changed"
  | "tenant.isolation_failed"
  | "tenant.promotion_recommended"
  | "key.created"
  | "key.revoked"
  | "token.issued"
  | "secret.read"
  | "secret.written"
  | "secret.deleted"
  | "security.tenant_mismatch"
  | "webhook.disabled"
  | "portal.link_created"
  | "portal.opened";

export interface AuditEntry {
  tenantId: string;
  /** `admin`, `system`, `key:<id>` / `token:<sub>` for tenant credentials, `portal:<session id>` for a portal session. */
  actor: string;
  action: AuditAction;
  details?: Record<string, unknown>;
}

/**
 * Entries of one call get ascending ids in the order given, so "newest first" keeps their order.
 * Changes that are also webhook events get their outbox rows here, in the same transaction (a
 * savepoint when `db` is already one), so an event exists exactly when its change committed.
 */
export async function recordAudit(db: Database | Transaction, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (!entries.some(isEventAction)) return insertAudit(db, entries);
  await db.transaction(async (tx) => {
    await insertAudit(tx, entries);
    await writeAuditEvents(tx, entries);
  });
}

async function insertAudit(db: Database | Transaction, entries: AuditEntry[]): Promise<void> {
  const ids = entries.map(() => newId("evt")).sort();
  await db.insert(auditEvents).values(
    entries.map((entry, index) => ({
      id: ids[index]!,
      tenantId: entry.tenantId,
      actor: entry.actor,
      action: entry.action,
      details: entry.details ?? {},
    })),
  );
}
