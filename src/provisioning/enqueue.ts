import type { ProvisioningQueueMessage } from "./messages.ts";
import { log } from "../lib/log.ts";

/**
 * Best effort by design: if the queue is unreachable, the scheduled sweeper re-enqueues tenants
 * whose provisioning has not progressed, so a lost send delays a tenant but never strands it.
 */
export async function enqueueProvisioning(env: Env, message: ProvisioningQueueMessage, delaySeconds = 0): Promise<void> {
  try {
    await env.PROVISIONING_QUEUE.send(message, { contentType: "json", delaySeconds });
  } catch (error) {
    log.error("provisioning enqueue failed", { tenantId: message.tenantId, error });
  }
}
