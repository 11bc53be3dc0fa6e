// Tenant setup through the public admin API, exactly as a customer's control plane would do it.

export interface BenchTenant {
  id: string;
  key: string;
  plan: string;
}

export interface Overrides {
  requestsPerSecond?: number;
  burst?: number;
  requestsPerDay?: number | null;
  maxConcurrentRequests?: number;
  maxConnections?: number;
}

/** Limits high enough that a benchmark measuring throughput never meets them. */
export const UNLIMITED: Overrides = { requestsPerSecond: 1_000_000, burst: 1_000_000, requestsPerDay: null, maxConcurrentRequests: 1000 };

export interface ApiResult<T = any> {
  status: number;
  body: T;
  /** The response's Server-Timing header, if any. */
  serverTiming?: string;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly adminToken: string,
  ) {}

  async request<T = any>(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    headers.Authorization = `Bearer ${options.token ?? this.adminToken}`;
    let body = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["Content-Type"] ??= "application/json";
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const serverTiming = response.headers.get("Server-Timing") ?? undefined;
    return { status: response.status, body: parsed as T, ...(serverTiming ? { serverTiming } : {}) };
  }

  /** POST /v1/tenants; returns as soon as it is accepted (202), not when it is active. */
  async createTenant(plan: string, overrides?: Overrides, name = `bench-${Math.random().toString(36).slice(2, 8)}`): Promise<BenchTenant & { status: string }> {
    const response = await this.request("POST", "/v1/tenants", { body: { name, plan, ...(overrides ? { overrides } : {}) } });
    if (response.status !== 202) throw new Error(`POST /v1/tenants: ${response.status} ${JSON.stringify(response.body)}`);
    return { id: response.body.tenant.id, key: response.body.apiKey.key, plan, status: response.body.tenant.status };
  }

  async tenant(id: string): Promise<any> {
    const response = await this.request("GET", `/v1/tenants/${id}`);
    if (response.status !== 200) throw new Error(`GET /v1/tenants/${id}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Polls until the tenant is active; returns the tenant. Bounded. */
  async waitActive(id: string, { everyMs = 100, timeoutMs = 60_000 } = {}): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tenant = await this.tenant(id);
      if (tenant.status === "active") return tenant;
      if (tenant.status === "failed") throw new Error(`tenant ${id} failed to provision: ${JSON.stringify(tenant.provisioning?.error)}`);
      if (Date.now() > deadline) throw new Error(`tenant ${id} not active within ${timeoutMs} ms (status ${tenant.status})`);
      await sleep(everyMs);
    }
  }

  async createActiveTenant(plan: string, overrides?: Overrides): Promise<BenchTenant> {
    const tenant = await this.createTenant(plan, overrides);
    await this.waitActive(tenant.id);
    return tenant;
  }

  /**
   * `count` tenants, `concurrency` requests at a time, in waves of `wave`: each wave is created and
   * active before the next is posted, so the provisioning queue never holds more than one wave.
   */
  async createActiveTenants(
    count: number,
    plan: string,
    overrides: Overrides | undefined,
    { concurrency, wave = 50, onProgress }: { concurrency: number; wave?: number; onProgress?: (active: number) => void },
  ): Promise<BenchTenant[]> {
    const tenants: BenchTenant[] = [];
    while (tenants.length < count) {
      const size = Math.min(wave, count - tenants.length);
      const created = await mapLimit(Array.from({ length: size }, (_, i) => i), concurrency, () => this.createTenant(plan, overrides));
      await mapLimit(created, concurrency, (tenant) => this.waitActive(tenant.id, { everyMs: 200, timeoutMs: 120_000 }));
      tenants.push(...created);
      onProgress?.(tenants.length);
    }
    return tenants;
  }

  async putRecord(tenant: BenchTenant, map: string, key: string, value: unknown): Promise<void> {
    const response = await this.request("PUT", `/v1/maps/${map}/${encodeURIComponent(key)}`, { token: tenant.key, body: value });
    if (response.status !== 200) throw new Error(`PUT /v1/maps/${map}/${key}: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
