/** One field that failed validation, as the API's 400 problem documents list them. */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem document as Tenantry sends it. `status` and `code` are always present. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  retryAfterMs?: number;
  limit?: number;
  errors?: FieldError[];
  [member: string]: unknown;
}

/** Every failed call throws this: the problem document's members, typed. */
export class TenantryError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly errors: FieldError[];
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code}${problem.detail ? `: ${problem.detail}` : ""}`);
    this.name = "TenantryError";
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.requestId = problem.requestId;
    this.retryAfterMs = problem.retryAfterMs;
    this.errors = problem.errors ?? [];
  }
}

/** Reads a failed response into a problem, whatever it holds (a proxy's HTML page still gets a code). */
export async function problemFrom(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const fallback: Problem = {
    status: response.status,
    code: response.status >= 500 ? "unavailable" : "http_error",
    detail: text.slice(0, 500) || response.statusText,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
  };
  if (typeof body !== "object" || body === null || typeof (body as Problem).code !== "string") return fallback;
  return { ...(body as Problem), status: response.status };
}
