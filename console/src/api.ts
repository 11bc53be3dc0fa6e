// Every call the console makes goes through here: the public API and nothing else.
// Admin mode sends the admin token (kept in sessionStorage only, never in a URL or localStorage);
// portal mode relies on the HttpOnly session cookie a portal link set, plus the CSRF header.

const TOKEN_KEY = "tenantry.adminToken";

export interface FieldError {
  path: string;
  message: string;
}

/** A failed call, carrying the problem document's `detail` for the screen to show. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

export const adminToken = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export type Mode = "admin" | "portal";

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  mode?: Mode;
}

export function requestHeaders(mode: Mode, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { Accept: "application/json", ...extra };
  if (mode === "admin") {
    const token = adminToken.get();
    if (token) headers.Authorization = `Bearer ${token}`;
  } else {
    headers["X-Requested-With"] = "tenantry-console";
  }
  return headers;
}

export function withQuery(path: string, query: CallOptions["query"] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Turns any failed response into a ProblemError with a readable detail. */
export async function problemFrom(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => "");
  try {
    const doc = JSON.parse(text) as { code?: string; detail?: string; title?: string; errors?: FieldError[] };
    return new ProblemError(response.status, doc.code ?? "error", doc.detail ?? doc.title ?? `HTTP ${response.status}`, doc.errors ?? []);
  } catch {
    return new ProblemError(response.status, "error", `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  }
}

export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const mode = options.mode ?? "admin";
  const headers = requestHeaders(mode, options.body === undefined ? {} : { "Content-Type": "application/json" });
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
    });
  } catch {
    throw new ProblemError(0, "network", "The API could not be reached. Check your connection and try again.");
  }
  if (!response.ok) {
    const problem = await problemFrom(response);
    if (response.status === 401) onUnauthenticated?.(mode, problem);
    throw problem;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

let onUnauthenticated: ((mode: Mode, problem: ProblemError) => void) | undefined;
export function whenUnauthenticated(handler: (mode: Mode, problem: ProblemError) => void): void {
  onUnauthenticated = handler;
}
