// The edge Worker: HTTP API, provisioning queue consumer and scheduled jobs. Thin by design:
// each handler hands off to its domain in src/.
import { createApp } from "../src/app.ts";
import type { ProvisioningQueueMessage } from "../src/provisioning/messages.ts";
import { handleQueueBatch } from "../src/provisioning/queue-handler.ts";
import { runScheduledJobs } from "../src/scheduled/jobs.ts";

export { TenantRuntime } from "../durable-objects/tenant-runtime/tenant-runtime.ts";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueueBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduledJobs(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env, ProvisioningQueueMessage>;
