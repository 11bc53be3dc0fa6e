import type { LimitState } from "./edge-limits.ts";

/**
 * IETF RateLimit-Policy / RateLimit headers (draft-ietf-httpapi-ratelimit-headers, structured
 * fields): `"burst";q=200;w=1, "daily";q=100000;w=86400` and `"burst";r=173;t=1`.
 */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
  const policy = [`"burst";q=${state.burst.limit};w=${state.burst.window}`];
  const current = [`"burst";r=${state.burst.remaining};t=${seconds(state.burst.resetMs)}`];
  if (state.daily) {
    policy.push(`"daily";q=${state.daily.limit};w=86400`);
    current.push(`"daily";r=${state.daily.remaining};t=${seconds(state.daily.resetMs)}`);
  }
  return { "RateLimit-Policy": policy.join(", "), RateLimit: current.join(", ") };
}
