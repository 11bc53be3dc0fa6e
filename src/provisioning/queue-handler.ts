import type { Services } from "../services/open-services.ts";
import { retryDelaySeconds } from "./backoff.ts";
import { markProvisioningFailed } from "./dead-letter.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import type { ProvisionMessage } from "./messages.ts";
import { runProvisioning } from "./runner.ts";
import { fastQueueRetries } from "../test-hooks/enabled.ts";

/** A provisioning message: run (or resume) the tenant's provisioning, retrying with backoff. */
export async function provision(message: Message<ProvisionMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId, reason } = message.body;
  try {
    const outcome = await runProvisioning(env, services, tenantId);
    logEvent("info", "provisioning delivery handled", { tenantId, reason, attempts: message.attempts, outcome });
    if (outcome.kind === "busy") {
      // Sent anew rather than retried: waiting out another runner's lease is not a failure and must
      // not spend the retry budget that ends in the dead-letter queue.
      await env.PROVISIONING_QUEUE.send({ kind: "provision", tenantId, reason }, { contentType: "json", delaySeconds: outcome.recheckInSeconds });
    }
    message.ack();
  } catch (error) {
    const delaySeconds = retryDelaySeconds(message.attempts, fastQueueRetries(env));
    logEvent("warn", "provisioning delivery failed; retrying", { tenantId, attempts: message.attempts, delaySeconds, error: errorMessage(error) });
    message.retry({ delaySeconds });
  }
}

/** A provisioning message whose retries ran out: the tenant is marked failed. */
export async function deadLetter(message: Message<ProvisionMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId } = message.body;
  try {
    await markProvisioningFailed(env, services, tenantId);
    logEvent("warn", "provisioning dead-lettered; tenant marked failed", { tenantId });
    message.ack();
  } catch (error) {
    logEvent("error", "dead letter not handled; retrying", { tenantId, error: errorMessage(error) });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, fastQueueRetries(env)) });
  }
}
