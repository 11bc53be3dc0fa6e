/**
 * RFC 9457 problem documents: the one shape every failure leaves the API in.
 * Throw an `ApiError` anywhere; `toProblemResponse` turns it into the response.
 */
export type ProblemCode =
  | "invalid_request"
  | "unauthenticated"
  | "forbidden"
  | "tenant_mismatch"
  | "tenant_suspended"
  | "upgrade_required"
  | "limit_exceeded"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "version_conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "quota_exceeded"
  | "concurrency_limited"
  | "connection_limit"
  | "tenant_not_ready"
  | "unavailable"
  | "bad_gateway"
  | "gateway_timeout";

const STATUS: Record<ProblemCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  tenant_mismatch: 403,
  tenant_suspended: 403,
  upgrade_required: 403,
  limit_exceeded: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  version_conflict: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  concurrency_limited: 429,
  connection_limit: 429,
  tenant_not_ready: 503,
  unavailable: 503,
  // Gateway only (/gw/*): the tenant's origin failed, not the platform.
  bad_gateway: 502,
  gateway_timeout: 504,
};

const TITLE: Record<ProblemCode, string> = {
  invalid_request: "Invalid request",
  unauthenticated: "Unauthenticated",
  forbidden: "Forbidden",
  tenant_mismatch: "Tenant mismatch",
  tenant_suspended: "Tenant suspended",
  upgrade_required: "Upgrade required",
  limit_exceeded: "Limit exceeded",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  version_conflict: "Version conflict",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Rate limited",
  quota_exceeded: "Quota exceeded",
  concurrency_limited: "Too many concurrent requests",
  connection_limit: "Too many realtime connections",
  tenant_not_ready: "Tenant not ready",
  unavailable: "Service unavailable",
  bad_gateway: "Bad gateway",
  gateway_timeout: "Gateway timeout",
};

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemExtras {
  retryAfterMs?: number;
  limit?: number | string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  [member: string]: unknown;
}

export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly extras: ProblemExtras;

  constructor(code: ProblemCode, detail: string, extras: ProblemExtras = {}) {
    super(detail);
    this.name = "ApiError";
    this.code = code;
    this.status = STATUS[code];
    this.extras = extras;
  }
}

/**
 * What a problem document is made from. An `ApiError` is one; an answer made on a hot path (a
 * refusal under a flood) passes a plain object instead, as constructing an Error is much of its cost.
 */
export type Problem = Pick<ApiError, "code" | "message" | "extras">;

export function isRetryable(status: number): boolean {
  return status === 429 || status === 503;
}

export function problemStatus(code: ProblemCode): number {
  return STATUS[code];
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  requestId: string;
  [member: string]: unknown;
}

export function problemDocument(problem: Problem, requestId: string): ProblemDocument {
  const { headers: _headers, ...members } = problem.extras;
  const status = STATUS[problem.code];
  // Helpful members first: the standard ones always win (a client may rely on `status` and `code` alone).
  const doc: ProblemDocument = {
    ...members,
    type: `/problems/${problem.code}`,
    title: TITLE[problem.code],
    status,
    detail: problem.message,
    code: problem.code,
    requestId,
  };
  // The contract promises field paths on every 400: a check that named none blames the request as a whole.
  if (problem.code === "invalid_request" && !Array.isArray(doc.errors)) doc.errors = [{ path: "", message: problem.message }];
  if (isRetryable(status)) doc.retryAfterMs = Math.max(1, Math.ceil(problem.extras.retryAfterMs ?? 1000));
  return doc;
}

/**
 * The problem document as a response; `moreHeaders` join the problem's own. The headers go to the
 * Response as one plain list: each `Headers` object a refusal makes is one more the collector
 * finalises, and under a flood that collection pauses every tenant of the isolate.
 */
export function toProblemResponse(problem: Problem, requestId: string, moreHeaders?: Record<string, string>): Response {
  const doc = problemDocument(problem, requestId);
  const headers: Record<string, string> = { "Content-Type": "application/problem+json", "X-Request-Id": requestId, ...problem.extras.headers, ...moreHeaders };
  if (isRetryable(doc.status)) headers["Retry-After"] = String(Math.max(1, Math.ceil((doc.retryAfterMs as number) / 1000)));
  return new Response(JSON.stringify(doc), { status: doc.status, headers });
}
