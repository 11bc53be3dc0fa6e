import { timingSafeEqual } from "../lib/encoding.ts";
import { testHooksEnabled } from "./enabled.ts";

/**
 * What the integration suite may ask of one data-plane request, by headers that count only with
 * TEST_HOOKS=1 and `X-Test-Hooks: <admin token>`; otherwise they are ignored:
 *   X-Test-Admit-Delay-Ms  the runtime object's admission starts this late (a stuck object; at most 10 s)
 *   X-Test-Hold-Ms         the request holds its concurrency lease this long before its handler (at most 5 s)
 *   X-Test-Skip-Release: 1 the lease is never released, as after a crashed isolate
 */
export interface RequestTestHooks {
  admitDelayMs: number;
  holdMs: number;
  skipRelease: boolean;
}

export const NO_TEST_HOOKS: RequestTestHooks = Object.freeze({ admitDelayMs: 0, holdMs: 0, skipRelease: false });

export function requestTestHooks(env: Env, header: (name: string) => string | undefined): RequestTestHooks {
  if (!testHooksEnabled(env)) return NO_TEST_HOOKS;
  const token = header("X-Test-Hooks");
  if (token === undefined || !env.ADMIN_TOKEN || !timingSafeEqual(token, env.ADMIN_TOKEN)) return NO_TEST_HOOKS;
  return {
    admitDelayMs: milliseconds(header("X-Test-Admit-Delay-Ms"), 10_000),
    holdMs: milliseconds(header("X-Test-Hold-Ms"), 5000),
    skipRelease: header("X-Test-Skip-Release") === "1",
  };
}

function milliseconds(value: string | undefined, max: number): number {
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, max) : 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
