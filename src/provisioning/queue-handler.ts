import type { Services } from "../http/app-env.ts";
import { openServices } from "../http/services.ts";
import { retryDelaySeconds } from "./backoff.ts";
import { markProvisioningFailed } from "./dead-letter.ts";
import { errorMessage, logEvent } from "./log.ts";
import { isProvisioningMessage, type ProvisioningQueueMessage } from "./messages.ts";
import { runProvisioning } from "./runner.ts";
import { testHooksEnabled } from "./test-hooks.ts";

const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

async function provision(message: Message<ProvisioningQueueMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId, reason } = message.body;
  try {
    const outcome = await runProvisioning(env, services, tenantId);
    logEvent("info", "provisioning delivery handled", { tenantId, reason, attempts: message.attempts, outcome });
    message.ack();
  } catch (error) {
    const delaySeconds = retryDelaySeconds(message.attempts, testHooksEnabled(env));
    logEvent("warn", "provisioning delivery failed; retrying", { tenantId, attempts: message.attempts, delaySeconds, error: errorMessage(error) });
    message.retry({ delaySeconds });
  }
}

async function deadLetter(message: Message<ProvisioningQueueMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId } = message.body;
  try {
    await markProvisioningFailed(env, services, tenantId);
    logEvent("warn", "provisioning dead-lettered; tenant marked failed", { tenantId });
    message.ack();
  } catch (error) {
    logEvent("error", "dead letter not handled; retrying", { tenantId, error: errorMessage(error) });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, testHooksEnabled(env)) });
  }
}

/**
 * Provisioning queue and its dead-letter queue. Messages of a batch run concurrently, duplicates
 * included: the step claims in Postgres make any number of deliveries have one effect.
 */
export async function handleQueueBatch(batch: MessageBatch<ProvisioningQueueMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
  const handle = isDeadLetterQueue(batch.queue) ? deadLetter : provision;
  const scope = openServices(env);
  try {
    await Promise.all(
      batch.messages.map((message) => {
        if (!isProvisioningMessage(message.body)) {
          logEvent("error", "dropping a malformed provisioning message", { queue: batch.queue, id: message.id });
          message.ack();
          return undefined;
        }
        return handle(message, env, scope.services);
      }),
    );
  } finally {
    await scope.close();
  }
}
