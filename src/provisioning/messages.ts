/** What travels on the provisioning queue. Consumers must treat every message as possibly repeated. */
export interface ProvisionMessage {
  kind: "provision";
  tenantId: string;
  /** Why this run was asked for: creation, an operator's retry, a plan change, the stall sweeper, a test. */
  reason: "created" | "retry" | "plan_changed" | "sweep" | "test";
}

export type ProvisioningQueueMessage = ProvisionMessage;

export function isProvisioningMessage(body: unknown): body is ProvisioningQueueMessage {
  if (!body || typeof body !== "object") return false;
  const message = body as Record<string, unknown>;
  return message.kind === "provision" && typeof message.tenantId === "string";
}
