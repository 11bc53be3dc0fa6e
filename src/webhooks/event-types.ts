/** The contract's event types. */
export const EVENT_TYPES = [
  "tenant.created",
  "tenant.activated",
  "tenant.provisioning_failed",
  "tenant.updated",
  "tenant.suspended",
  "tenant.resumed",
  "tenant.deleted",
  "tenant.purged",
  "tenant.isolation_changed",
  "tenant.promotion_recommended",
  "key.created",
  "key.revoked",
  "quota.exhausted",
  "usage.hourly",
  "webhook.test",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Audited changes that are also events (the audit entry and the outbox row share a transaction),
 * by audit action. Keyed by string: src/audit/record.ts imports this module, not the other way.
 */
export const EVENT_OF_AUDIT_ACTION: Readonly<Record<string, EventType>> = {
  "tenant.created": "tenant.created",
  "tenant.provisioned": "tenant.activated",
  "tenant.provisioning_failed": "tenant.provisioning_failed",
  "tenant.updated": "tenant.updated",
  "tenant.suspended": "tenant.suspended",
  "tenant.resumed": "tenant.resumed",
  "tenant.deleted": "tenant.deleted",
  "tenant.purged": "tenant.purged",
  "tenant.isolation_changed": "tenant.isolation_changed",
  "tenant.promotion_recommended": "tenant.promotion_recommended",
  "key.created": "key.created",
  "key.revoked": "key.revoked",
};

/** An endpoint subscribed to `events` gets `type`. `webhook.test` goes only where it is sent. */
export function subscribes(events: readonly string[], type: string): boolean {
  if (type === "webhook.test") return false;
  return events.includes("*") || events.includes(type);
}
