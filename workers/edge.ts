// The edge Worker: HTTP API, provisioning and webhook queue consumers and scheduled jobs. Thin by
// design: each handler hands off to its domain in src/.
import { createApp } from "../src/http/app.ts";
import type { ProvisioningQueueMessage } from "../src/provisioning/messages.ts";
import { handleQueueBatch } from "../src/provisioning/queue-handler.ts";
import { runScheduledJobs } from "../src/scheduled/jobs.ts";
import { handleWebhookBatch, isWebhookQueue } from "../src/webhooks/queue-handler.ts";
import { relayInBackground } from "../src/webhooks/relay-kick.ts";

export { TenantRuntime } from "../durable-objects/tenant-runtime.ts";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: async (batch, env, ctx) => {
    if (isWebhookQueue(batch.queue)) return handleWebhookBatch(batch, env);
    await handleQueueBatch(batch as MessageBatch<ProvisioningQueueMessage>, env, ctx);
    // Provisioning and migrations record events (tenant.activated, …): send them on.
    relayInBackground(env, ctx);
  },
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduledJobs(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env, unknown>;
