import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { openServices } from "../http/services.ts";
import { errorMessage, logEvent } from "../provisioning/log.ts";
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
 * After a successful control-plane write, relay what it wrote to the outbox. With TEST_HOOKS,
 * `X-Test-Skip-Relay: 1` leaves the rows for the cron, as a Worker dying after the commit would.
 */
export const relayAfterWrite: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.res.status >= 400) return;
  if (c.env.TEST_HOOKS === "1" && c.req.header("X-Test-Skip-Relay") === "1") return;
  relayInBackground(c.env, c.executionCtx);
};
