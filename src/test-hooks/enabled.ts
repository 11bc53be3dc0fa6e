/**
 * Test hooks (this folder) exist only when the Worker runs with TEST_HOOKS=1: the integration suite
 * sets it, wrangler.toml never does. This is the one place that reads the switch.
 */
export function testHooksEnabled(env: Pick<Env, "TEST_HOOKS">): boolean {
  return env.TEST_HOOKS === "1";
}

/**
 * Queue retries without backoff: the integration suite runs a whole retry budget in seconds. The
 * soak (TEST_RETRY_BACKOFF=real) keeps the production backoff: its outages last seconds, and an
 * immediate retry budget is spent within one of them, where production's 2 s, 4 s, … outlasts it.
 */
export function fastQueueRetries(env: Pick<Env, "TEST_HOOKS" | "TEST_RETRY_BACKOFF">): boolean {
  return testHooksEnabled(env) && env.TEST_RETRY_BACKOFF !== "real";
}
