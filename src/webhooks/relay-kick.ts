import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { openServices } from "../services/open-services.ts";
import { requestTestHooks } from "../test-hooks/request-hooks.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { relayOutbox } from "./relay.ts";

interface Deferrer {
  waitUntil(promise: Promise<unknown>): void;
}

async function relayNow(env: Env): Promise<void> {
  const scope = openServices(env);
  try {
    const relayed = await relayOutbox(env, scope.services.db);
    if (relayed.events > 0) logEvent("info", "webhook outbox relayed", relayed);
  } catch (error) {
    // The cron's relay picks the rows up; nothing is lost.
    logEvent("warn", "webhook outbox relay failed", { error: errorMessage(error) });
  } finally {
    await scope.close();
  }
}

/** Relays the outbox after the response (or the batch): never on the path of the change itself. */
export function relayInBackground(env: Env, ctx: Deferrer): void {
  ctx.waitUntil(relayNow(env));
}

/**
 * After a successful control-plane write, relay what it wrote to the outbox. A test may leave the
 * rows for the cron (`X-Test-Skip-Relay`, src/test-hooks/), as a Worker dying after the commit would.
 */
export const relayAfterWrite: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.res.status >= 400) return;
  if (requestTestHooks(c.env, (name) => c.req.header(name)).skipRelay) return;
  relayInBackground(c.env, c.executionCtx);
};
