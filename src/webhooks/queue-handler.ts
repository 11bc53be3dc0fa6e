import { openServices } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { abandonDelivery, deliver } from "./deliver.ts";
import { isDeliveryMessage } from "./relay.ts";

/** The webhook queue and its dead-letter queue, by name in every environment. */
export const isWebhookQueue = (queue: string) => /(^|-)webhooks(-dlq)?$/.test(queue);

const CONSUMER_ERROR_RETRY_SECONDS = 5;

/**
 * Each message is one attempt of one delivery. A consumer error (database away) retries the
 * message; after the queue's max_retries it lands in the dead-letter queue, which gives up on it.
 */
export async function handleWebhookBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const scope = openServices(env);
  try {
    await Promise.all(
      batch.messages.map(async (message) => {
        if (!isDeliveryMessage(message.body)) {
          logEvent("error", "dropping a malformed webhook message", { queue: batch.queue, id: message.id });
          message.ack();
          return;
        }
        const { deliveryId } = message.body;
        try {
          if (dead) await abandonDelivery(scope.services.db, deliveryId);
          else {
            const outcome = await deliver(env, scope.services.db, deliveryId);
            logEvent("info", "webhook delivery handled", { deliveryId, outcome });
          }
          message.ack();
        } catch (error) {
          logEvent("warn", "webhook delivery not handled; retrying", { deliveryId, dead, error: errorMessage(error) });
          message.retry({ delaySeconds: CONSUMER_ERROR_RETRY_SECONDS });
        }
      }),
    );
  } finally {
    await scope.close();
  }
}
