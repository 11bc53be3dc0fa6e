/** How calls refused with 429 or 503 are retried. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4; 1 turns retries off). */
  attempts?: number;
  /** Wait before the first retry when the server names none, in ms (default 250). */
  baseDelayMs?: number;
  /** No single wait is longer (default 10 000 ms). */
  maxDelayMs?: number;
}

const RETRIED_STATUSES = new Set([429, 503]);
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** A POST or PATCH is retried only when an Idempotency-Key makes a repeat harmless. */
export function isRetriable(request: Request): boolean {
  return IDEMPOTENT_METHODS.has(request.method) || request.headers.has("Idempotency-Key");
}

/** The server's own wait (Retry-After, or the body's retryAfterMs), else exponential backoff; with full jitter. */
export async function retryDelayMs(response: Response, attempt: number, options: Required<RetryOptions>): Promise<number> {
  let serverMs: number | undefined;
  const header = response.headers.get("Retry-After");
  if (header && /^\d+$/.test(header)) serverMs = Number(header) * 1000;
  try {
    const body = (await response.clone().json()) as { retryAfterMs?: unknown };
    if (typeof body.retryAfterMs === "number" && body.retryAfterMs >= 0) serverMs = body.retryAfterMs;
  } catch {
    // Not JSON: the header (or backoff) decides.
  }
  const backoff = options.baseDelayMs * 2 ** attempt;
  const wait = Math.min(options.maxDelayMs, serverMs ?? backoff);
  // Never earlier than the server asked; spread the rest so clients do not come back together.
  return serverMs !== undefined ? wait + Math.random() * Math.min(250, wait * 0.2) : wait * (0.5 + Math.random() * 0.5);
}

/** Wraps fetch: a 429 or 503 answer to a retriable request is tried again after the delay it names. */
export function retryingFetch(fetchImpl: typeof fetch, options: RetryOptions = {}): (request: Request) => Promise<Response> {
  const settings: Required<RetryOptions> = { attempts: 4, baseDelayMs: 250, maxDelayMs: 10_000, ...options };
  return async (request) => {
    const retriable = settings.attempts > 1 && isRetriable(request);
    // Keep a pristine copy for each retry: a body can be read once.
    let spare = retriable ? request.clone() : undefined;
    let response = await fetchImpl(request);
    for (let attempt = 0; retriable && attempt < settings.attempts - 1 && RETRIED_STATUSES.has(response.status); attempt += 1) {
      const delay = await retryDelayMs(response, attempt, settings);
      await response.body?.cancel().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, delay));
      const next = spare!;
      spare = next.clone();
      response = await fetchImpl(next);
    }
    return response;
  };
}
