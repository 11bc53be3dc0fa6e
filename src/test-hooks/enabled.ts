/**
 * Test hooks (this folder) exist only when the Worker runs with TEST_HOOKS=1: the integration suite
 * sets it, wrangler.toml never does. This is the one place that reads the switch.
 */
export function testHooksEnabled(env: Pick<Env, "TEST_HOOKS">): boolean {
  return env.TEST_HOOKS === "1";
}
