import createClient, { type Client } from "openapi-fetch";
import { TenantryError, type Problem } from "./errors.ts";
import { retryingFetch, type RetryOptions } from "./retry.ts";
import type { paths } from "./schema.ts";

export type ApiClient = Client<paths>;

export interface TransportOptions {
  /** Where the API is, e.g. https://api.example.com (no /v1). */
  baseUrl: string;
  /** Retries of 429 and 503 answers; `false` turns them off. */
  retry?: RetryOptions | false;
  /** A fetch of your own (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Sent with every call, e.g. a User-Agent of yours. */
  headers?: Record<string, string>;
}

export function createTransport(options: TransportOptions, credential: string): ApiClient {
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const fetchWithRetry = retryingFetch(baseFetch, options.retry === false ? { attempts: 1 } : options.retry);
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    fetch: fetchWithRetry,
    headers: { ...options.headers, Authorization: `Bearer ${credential}` },
  });
}

function problemOf(error: unknown, response: Response): Problem {
  if (typeof error === "object" && error !== null && typeof (error as Problem).code === "string") {
    return { ...(error as Problem), status: response.status };
  }
  return {
    status: response.status,
    code: response.status >= 500 ? "unavailable" : "http_error",
    detail: typeof error === "string" ? error.slice(0, 500) : response.statusText,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
  };
}

/** The call's data, or a TenantryError carrying its problem document. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new TenantryError(problemOf(error, response));
  return data as T;
}

/** Every item of a cursor-paged list, page by page as the loop asks for them. */
export async function* paginate<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor?: string | null }>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const result = await page(cursor);
    yield* result.data;
    cursor = result.nextCursor ?? undefined;
  } while (cursor);
}

/** A random Idempotency-Key (so a retried create can never make two tenants). */
export function newIdempotencyKey(): string {
  const random = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  return random ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
