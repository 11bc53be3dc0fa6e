import type { Services } from "../services/open-services.ts";
import { retryDelaySeconds } from "../provisioning/backoff.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import type { MigrateMessage } from "../provisioning/messages.ts";
import { fastQueueRetries } from "../test-hooks/enabled.ts";
import { abandon, runMigration } from "./workflow.ts";

/** Another runner holds the migration: look again once its claim (60 s) could have lapsed. */
const BUSY_DELAY_SECONDS = 15;

export async function migrate(message: Message<MigrateMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId, migrationId } = message.body;
  try {
    const outcome = await runMigration(env, services, tenantId, migrationId);
    logEvent("info", "migration delivery handled", { tenantId, migrationId, outcome });
    if (outcome === "busy") message.retry({ delaySeconds: BUSY_DELAY_SECONDS });
    else message.ack();
  } catch (error) {
    const delaySeconds = retryDelaySeconds(message.attempts, fastQueueRetries(env));
    logEvent("warn", "migration delivery failed after the switch; retrying", { tenantId, migrationId, delaySeconds, error: errorMessage(error) });
    message.retry({ delaySeconds });
  }
}

/** Retries exhausted: roll back if the switch never happened, otherwise record what is left undone. */
export async function abandonMigration(message: Message<MigrateMessage>, env: Env, services: Services): Promise<void> {
  const { tenantId, migrationId } = message.body;
  await abandon(env, services, tenantId, migrationId);
  logEvent("warn", "migration dead-lettered", { tenantId, migrationId });
  message.ack();
}
