import type { ProvisioningQueueMessage } from "./messages.ts";

export async function handleQueueBatch(batch: MessageBatch<ProvisioningQueueMessage>, _env: Env, _ctx: ExecutionContext): Promise<void> {
  batch.ackAll();
}
