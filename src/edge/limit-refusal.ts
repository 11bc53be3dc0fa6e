import type { Limits } from "../core/plans.ts";
import type { Problem } from "../http/problem.ts";
import type { LimitDecision } from "../limits/edge-limits.ts";
import { rateLimitHeaders } from "../limits/ratelimit-headers.ts";

export const RATE_LIMITED_DETAIL = "The tenant's request rate is over its limit.";
const QUOTA_EXCEEDED_DETAIL = "The tenant's daily request quota is used up.";

/** The 429 for a request its tenant's token bucket or day's quota refused. */
export function limitRefusal(refused: Extract<LimitDecision, { kind: "refused" }>, limits: Limits): Problem {
  const quota = refused.code === "quota_exceeded";
  return {
    code: refused.code,
    message: quota ? QUOTA_EXCEEDED_DETAIL : RATE_LIMITED_DETAIL,
    extras: { headers: rateLimitHeaders(refused.state, limits), retryAfterMs: refused.retryAfterMs, limit: quota ? (limits.requestsPerDay ?? 0) : limits.burst },
  };
}
