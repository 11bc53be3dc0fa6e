// One HTTP call as the soak sees it: status, the problem's code and detail, Retry-After, and the
// parsed body. Never throws: a call that got no answer has status null.
export interface Reply {
  status: number | null;
  body: any;
  code?: string;
  detail?: string;
  retryAfter: string | null;
  /** Why no answer came (status null). */
  error?: string;
}

const TIMEOUT_MS = 20_000;

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["Content-Type"] ??= "application/json";
  try {
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS) });
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const problem = response.headers.get("content-type")?.startsWith("application/problem+json") ? parsed : undefined;
    return {
      status: response.status,
      body: parsed,
      ...(problem?.code ? { code: String(problem.code), detail: String(problem.detail ?? "") } : {}),
      retryAfter: response.headers.get("retry-after"),
    };
  } catch (error) {
    return { status: null, body: undefined, retryAfter: null, error: (error as Error).name === "TimeoutError" ? "timeout" : String((error as Error).cause ?? error) };
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}
