/** What travels on the provisioning queue. Consumers must treat every message as possibly repeated. */
export interface ProvisionMessage {
  kind: "provision";
  tenantId: string;
  /** Why this run was asked for: creation, an operator's retry, a plan change, the stall sweeper, a test. */
  reason: "created" | "retry" | "plan_changed" | "sweep" | "test";
}

/** An online isolation migration (shared ⇄ dedicated) to run or resume. */
export interface MigrateMessage {
  kind: "migrate";
  tenantId: string;
  migrationId: string;
}

export type ProvisioningQueueMessage = ProvisionMessage | MigrateMessage;

export function isProvisioningMessage(body: unknown): body is ProvisioningQueueMessage {
  if (!body || typeof body !== "object") return false;
  const message = body as Record<string, unknown>;
  if (typeof message.tenantId !== "string") return false;
  return message.kind === "provision" || (message.kind === "migrate" && typeof message.migrationId === "string");
}
