// The queue consumer's dispatcher: which domain handles which message. Provisioning and isolation
// migrations share one queue (and its dead-letter queue); each domain handles its own kind.
import { migrate, abandonMigration } from "../src/isolation/queue.ts";
import { logEvent } from "../src/lib/log.ts";
import { isProvisioningMessage, type ProvisioningQueueMessage } from "../src/provisioning/messages.ts";
import { deadLetter, provision } from "../src/provisioning/queue-handler.ts";
import { openServices } from "../src/services/open-services.ts";

const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

/**
 * Messages of a batch run concurrently, duplicates included: the claims in Postgres make any
 * number of deliveries have one effect.
 */
export async function dispatchQueueBatch(batch: MessageBatch<ProvisioningQueueMessage>, env: Env): Promise<void> {
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
