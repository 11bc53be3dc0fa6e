import { TenantryError } from "./errors.ts";
import type { components, paths } from "./schema.ts";
import { createTransport, newIdempotencyKey, paginate, unwrap, type ApiClient, type TransportOptions } from "./transport.ts";

type Schemas = components["schemas"];
export type Tenant = Schemas["Tenant"];
export type CreateTenant = Schemas["CreateTenant"];
export type UpdateTenant = Schemas["UpdateTenant"];
export type ApiKey = Schemas["ApiKey"];
export type Usage = Schemas["Usage"];
export type AuditEvent = Schemas["AuditEvent"];
export type Plan = Schemas["Plan"];
type TenantListQuery = NonNullable<paths["/v1/tenants"]["get"]["parameters"]["query"]>;
type UsageQuery = NonNullable<paths["/v1/tenants/{id}/usage"]["get"]["parameters"]["query"]>;
type AuditQuery = NonNullable<paths["/v1/tenants/{id}/audit"]["get"]["parameters"]["query"]>;

export interface AdminClientOptions extends TransportOptions {
  /** The deployment's ADMIN_TOKEN. */
  token: string;
}

export interface WaitOptions {
  /** Called whenever the tenant changed while waiting (a provisioning or migration step moved). */
  onProgress?: (tenant: Tenant) => void;
  timeoutMs?: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const id = (tenantId: string) => ({ params: { path: { id: tenantId } } });

/** The control plane: tenants and their keys, tokens, usage, audit, isolation, export and import. */
export function createAdminClient(options: AdminClientOptions) {
  const api: ApiClient = createTransport(options, options.token);

  /** Polls the tenant until `done` says so; fails at once if `failed` does. */
  async function waitFor(tenantId: string, done: (t: Tenant) => boolean, failed: (t: Tenant) => string | null, wait: WaitOptions = {}): Promise<Tenant> {
    const deadline = Date.now() + (wait.timeoutMs ?? 120_000);
    let seen = "";
    for (;;) {
      const tenant = await tenants.get(tenantId);
      const fingerprint = JSON.stringify([tenant.status, tenant.provisioning, tenant.migration]);
      if (fingerprint !== seen) {
        seen = fingerprint;
        wait.onProgress?.(tenant);
      }
      if (done(tenant)) return tenant;
      const failure = failed(tenant);
      if (failure !== null) throw new TenantryError({ status: 409, code: "conflict", detail: failure });
      if (Date.now() > deadline) throw new TenantryError({ status: 504, code: "timeout", detail: `Tenant ${tenantId} did not get there within ${wait.timeoutMs ?? 120_000} ms.` });
      await sleep(wait.pollMs ?? 250);
    }
  }

  const tenants = {
    /** 202: provisioning runs in the background (see `waitUntilActive`). The API key is shown only here. */
    create: (body: CreateTenant, opts: { idempotencyKey?: string } = {}) =>
      unwrap(api.POST("/v1/tenants", { body, headers: { "Idempotency-Key": opts.idempotencyKey ?? newIdempotencyKey() } })),
    get: (tenantId: string) => unwrap(api.GET("/v1/tenants/{id}", id(tenantId))),
    list: (query: TenantListQuery = {}) => unwrap(api.GET("/v1/tenants", { params: { query } })),
    /** Every tenant matching the filter, fetched page by page. */
    iterate: (query: Omit<TenantListQuery, "cursor"> = {}) =>
      paginate((cursor) => tenants.list({ ...query, ...(cursor ? { cursor } : {}) })),
    update: (tenantId: string, patch: UpdateTenant) => unwrap(api.PATCH("/v1/tenants/{id}", { ...id(tenantId), body: patch })),
    suspend: (tenantId: string) => tenants.update(tenantId, { status: "suspended" }),
    resume: (tenantId: string) => tenants.update(tenantId, { status: "active" }),
    delete: (tenantId: string, opts: { hard?: boolean } = {}) =>
      unwrap(api.DELETE("/v1/tenants/{id}", { params: { path: { id: tenantId }, query: opts.hard ? { hard: "true" } : {} } } as never)) as Promise<Tenant>,
    provision: (tenantId: string) => unwrap(api.POST("/v1/tenants/{id}/provision", id(tenantId))),
    waitUntilActive: (tenantId: string, wait?: WaitOptions) =>
      waitFor(
        tenantId,
        (t) => t.status === "active" || t.status === "suspended",
        (t) => (t.status === "failed" ? `Provisioning failed: ${t.provisioning.error ?? "unknown error"}` : t.status === "deleted" ? "The tenant was deleted." : null),
        wait,
      ),
    changeIsolation: (tenantId: string, level: "shared" | "dedicated", region?: string) =>
      unwrap(api.POST("/v1/tenants/{id}/isolation", { ...id(tenantId), body: { level, ...(region ? { region } : {}) } })),
    /** Resolves when the tenant's running migration succeeded; throws with its error when it failed. */
    waitForMigration: (tenantId: string, wait?: WaitOptions) =>
      waitFor(
        tenantId,
        (t) => (t.migration as { state?: string } | null)?.state === "succeeded",
        (t) => {
          const migration = t.migration as { state?: string; error?: string } | null;
          return migration?.state === "failed" ? `Migration failed: ${migration.error ?? "unknown error"}` : null;
        },
        wait,
      ),
    /** The tenant's configuration and records as NDJSON, streamed. */
    export: async (tenantId: string): Promise<ReadableStream<Uint8Array>> => {
      const result = await api.GET("/v1/tenants/{id}/export", { ...id(tenantId), parseAs: "stream" });
      if (!result.response.ok) await unwrap(Promise.resolve(result));
      return result.data as unknown as ReadableStream<Uint8Array>;
    },
    import: (tenantId: string, ndjson: string) =>
      unwrap(
        api.POST("/v1/tenants/{id}/import", {
          ...id(tenantId),
          body: ndjson as never,
          bodySerializer: (body: unknown) => body as string,
          headers: { "Content-Type": "application/x-ndjson" },
        }),
      ),
  };

  const keys = {
    create: (tenantId: string, body: Schemas["CreateApiKey"]) => unwrap(api.POST("/v1/tenants/{id}/keys", { ...id(tenantId), body })),
    list: (tenantId: string) => unwrap(api.GET("/v1/tenants/{id}/keys", id(tenantId))),
    revoke: (tenantId: string, keyId: string) =>
      unwrap(api.DELETE("/v1/tenants/{id}/keys/{keyId}", { params: { path: { id: tenantId, keyId } } })).then(() => undefined),
  };

  const tokens = {
    issue: (tenantId: string, body: Schemas["IssueTenantToken"]) => unwrap(api.POST("/v1/tenants/{id}/tokens", { ...id(tenantId), body })),
  };

  const usage = {
    get: (tenantId: string, query: UsageQuery = {}) => unwrap(api.GET("/v1/tenants/{id}/usage", { params: { path: { id: tenantId }, query } })),
    /** Resolves once every counter of the tenant is in Postgres: totals are then exact. */
    flush: (tenantId: string) => unwrap(api.POST("/v1/tenants/{id}/usage/flush", id(tenantId))),
  };

  const audit = {
    list: (tenantId: string, query: AuditQuery = {}) => unwrap(api.GET("/v1/tenants/{id}/audit", { params: { path: { id: tenantId }, query } })),
    iterate: (tenantId: string, query: Omit<AuditQuery, "cursor"> = {}) =>
      paginate((cursor) => audit.list(tenantId, { ...query, ...(cursor ? { cursor } : {}) })),
  };

  return {
    tenants,
    keys,
    tokens,
    usage,
    audit,
    plans: { list: () => unwrap(api.GET("/v1/plans")) },
    health: () => unwrap(api.GET("/v1/health")),
    /** The typed openapi-fetch client, for any route the helpers above do not cover. */
    api,
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
