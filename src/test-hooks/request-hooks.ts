import type { MiddlewareHandler } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";

/**
 * Data-plane probes for the integration suite (TEST_HOOKS=1 only; 404 otherwise): a request that
 * holds its concurrency lease for a while, to test the concurrency limit and lease expiry.
 */
export const PROBE_PATH = "/v1/_probe/*";

export const probesEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.env.TEST_HOOKS !== "1") throw new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`);
  await next();
};

export const probeRoutes = new Hono<AppEnv>()
  .get("/v1/_probe/sleep", async (c) => {
    const ms = Math.min(5000, Math.max(0, Number(c.req.query("ms") ?? 0) || 0));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return c.json({ sleptMs: ms });
  })
  // When the caller's runtime object instance started (to observe hibernation).
  .get("/v1/_probe/runtime", async (c) => c.json({ bootedAt: await runtimeFor(c.env, c.get("tenant")).instanceBootedAt() }));

/** A crashed isolate never releases its lease: with TEST_HOOKS, this header simulates that. */
export function simulatesCrash(env: Env, header: string | undefined): boolean {
  return env.TEST_HOOKS === "1" && header === "1";
}

/** With TEST_HOOKS, `X-Test-Admit-Delay-Ms` makes the runtime object slow to admit (at most 10 s). */
export function admissionDelayForTest(env: Env, header: string | undefined): number | undefined {
  if (env.TEST_HOOKS !== "1" || header === undefined) return undefined;
  const ms = Number(header);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 10_000) : undefined;
}
