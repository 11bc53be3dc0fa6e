// The edge Worker's entry point: it only dispatches. HTTP goes to the composition root (src/app.ts),
// queue batches to the dispatcher beside this file, cron to the scheduled jobs.
import { createApp } from "../src/app.ts";
import { refuseEarly } from "../src/edge/early-refusal.ts";
import { runScheduledJobs } from "../src/scheduled/jobs.ts";
import { testHooksEnabled } from "../src/test-hooks/enabled.ts";
import { dispatchQueueBatch } from "./queue.ts";

export { TenantRuntime } from "../durable-objects/tenant-runtime/tenant-runtime.ts";

/** Built on the first request: whether test hooks are mounted depends on the environment. */
let app: ReturnType<typeof createApp> | undefined;

export default {
  // A tenant this isolate knows to be over its limits is refused before the app (src/edge/early-refusal.ts).
  fetch: (request, env, ctx) => refuseEarly(request, env, ctx) ?? (app ??= createApp({ testHooks: testHooksEnabled(env) })).fetch(request, env, ctx),
  queue: (batch, env, ctx) => dispatchQueueBatch(batch, env, ctx),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduledJobs(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env, unknown>;
