import { inject } from "vitest";

export const baseUrl = () => inject("baseUrl");
export const adminToken = () => inject("adminToken");

const REQUEST_TIMEOUT_MS = 20_000;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${baseUrl()}${path}`, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await response.text();
  } catch (error) {
    // A request the platform never answers is a finding of its own: name it, not the test's timeout.
    if ((error as Error).name === "TimeoutError") throw new Error(`${method} ${path} got no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    throw error;
  }
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export const admin = <T = any>(method: string, path: string, options: Parameters<typeof call>[2] = {}) =>
  call<T>(method, path, { token: adminToken(), ...options });

/**
 * Headers asking the data plane for test behaviour (src/test-hooks/request-hooks.ts): they count only
 * with the admin token in X-Test-Hooks. E.g. `testHooks({ "X-Test-Skip-Release": "1" })`.
 */
export const testHooks = (headers: Record<string, string>): Record<string, string> => ({ "X-Test-Hooks": adminToken(), ...headers });

export async function createTenant(body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await admin("POST", "/v1/tenants", { body: { name: "Test tenant", plan: "pro", ...body }, headers });
  if (response.status !== 202) throw new Error(`create tenant: ${response.status} ${response.text}`);
  return response.body as { tenant: any; apiKey: { id: string; key: string; scopes: string[] } };
}

/** Polls until `check` returns a truthy value, bounded in time. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}

export async function control(
  action: "postgres/stop" | "postgres/start" | "redis/stop" | "redis/start" | "worker/restart",
  vars?: Record<string, string | null>,
) {
  const response = await fetch(`${inject("controlUrl")}/${action}`, { method: "POST", body: vars ? JSON.stringify(vars) : undefined });
  if (response.status !== 204) throw new Error(`control ${action}: ${response.status} ${await response.text()}`);
}

/** Asserts the contract's problem document shape and returns it. */
export function expectProblem(response: ApiResponse, status: number, code: string) {
  const problem = response.body as Record<string, unknown>;
  if (response.status !== status || problem?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${response.text.slice(0, 500)}`);
  }
  if (!response.headers.get("content-type")?.startsWith("application/problem+json")) {
    throw new Error(`problem without application/problem+json: ${response.headers.get("content-type")}`);
  }
  for (const member of ["type", "title", "status", "detail", "code", "requestId"]) {
    if (!(member in problem)) throw new Error(`problem lacks ${member}: ${response.text}`);
  }
  if (problem.status !== status || problem.type !== `/problems/${code}`) throw new Error(`problem's status or type disagrees: ${response.text}`);
  if (status === 429 || status === 503) {
    const retryAfter = Number(response.headers.get("retry-after"));
    if (!(retryAfter >= 1) || typeof problem.retryAfterMs !== "number") throw new Error(`retryable problem without Retry-After: ${response.text}`);
  }
  return problem;
}
