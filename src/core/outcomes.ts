/**
 * How a data-plane request ended, as the metrics count it: each request with a tenant credential
 * has exactly one outcome (`rejected` in usage covers only the limits among them).
 */
export const REQUEST_OUTCOMES = ["ok", "rate_limited", "quota_exceeded", "concurrency_limited", "not_ready", "client_error", "server_error"] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
export type OutcomeCounts = Record<RequestOutcome, number>;

/** An admitted request, by the status it was answered with. */
export function outcomeOfStatus(status: number): RequestOutcome {
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  return "ok";
}

export const noOutcomes = (): OutcomeCounts => ({ ok: 0, rate_limited: 0, quota_exceeded: 0, concurrency_limited: 0, not_ready: 0, client_error: 0, server_error: 0 });
