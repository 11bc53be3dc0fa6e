import { timingSafeEqual } from "../lib/encoding.ts";
import { testHooksEnabled } from "./enabled.ts";

/**
 * What the integration suite may ask of one Stripe export run (`POST /v1/billing/exports/run`), with
 * TEST_HOOKS=1 and `X-Test-Hooks: <admin token>`; otherwise ignored:
 *   X-Test-Stop-After-Events: n  the run stops as a dying Worker would, right after Stripe accepted
 *                                its n-th event and before that event is recorded as sent
 */
export function stopAfterEventsForTest(env: Env, header: (name: string) => string | undefined): number | undefined {
  if (!testHooksEnabled(env)) return undefined;
  const token = header("X-Test-Hooks");
  if (token === undefined || !env.ADMIN_TOKEN || !timingSafeEqual(token, env.ADMIN_TOKEN)) return undefined;
  const n = Number(header("X-Test-Stop-After-Events"));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
