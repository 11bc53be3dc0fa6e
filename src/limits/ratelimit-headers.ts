import type { Limits } from "../core/plans.ts";
import type { LimitState } from "./edge-limits.ts";

/**
 * IETF RateLimit-Policy / RateLimit headers (draft-ietf-httpapi-ratelimit-headers, structured
 * fields): `"burst";q=200;w=1, "daily";q=100000;w=86400` and `"burst";r=173;t=1`.
 */
export function rateLimitHeaders(state: LimitState, policyLimits: Limits): Record<string, string> {
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
  const burst = policyLimits.burst;
  const daily = policyLimits.requestsPerDay;
  const policy = [`"burst";q=${burst};w=${state.burst.window}`];
  const current = [`"burst";r=${Math.min(state.burst.remaining, burst)};t=${seconds(state.burst.resetMs)}`];
  if (daily !== null) policy.push(`"daily";q=${daily};w=86400`);
  // The quota's remainder is known only when it was checked on this request.
  if (daily !== null && state.daily) {
    current.push(`"daily";r=${Math.min(state.daily.remaining, daily)};t=${seconds(state.daily.resetMs)}`);
  }
  return { "RateLimit-Policy": policy.join(", "), RateLimit: current.join(", ") };
}
