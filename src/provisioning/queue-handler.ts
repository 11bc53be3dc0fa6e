import type { Services } from "../http/app-env.ts";
import { openServices } from "../services/open-services.ts";
import { retryDelaySeconds } from "./backoff.ts";
import { markProvisioningFailed } from "./dead-letter.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { abandonMigration, migrate } from "../isolation/queue.ts";
import { isProvisioningMessage, type ProvisionMessage, type ProvisioningQueueMessage } from "./messages.ts";
import { runProvisioning } from "./runner.ts";
import { testHooksEnabled } from "../test-hooks/faults.ts";

const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

async function provision(message: Message<ProvisionMessage>, env: Env, services: Services): Promise<void> {
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

async function deadLetter(message: Message<ProvisionMessage>, env: Env, services: Services): Promise<void> {
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
  const dead = isDeadLetterQueue(batch.queue);
  const scope = openServices(env);
  try {
    await Promise.all(
      batch.messages.map((message) => {
        if (!isProvisioningMessage(message.body)) {
          logEvent("error", "dropping a malformed provisioning message", { queue: batch.queue, id: message.id });
          message.ack();
          return undefined;
        }
        const body = message.body;
        if (body.kind === "migrate") {
          const migration = message as Message<typeof body>;
          return dead ? abandonMigration(migration, env, scope.services) : migrate(migration, env, scope.services);
        }
        const provisioning = message as Message<typeof body>;
        return dead ? deadLetter(provisioning, env, scope.services) : provision(provisioning, env, scope.services);
      }),
    );
  } finally {
    await scope.close();
  }
}
