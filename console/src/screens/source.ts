// What the tenant panels (usage, keys) read and write: the admin API for one tenant, or the
// portal API of the signed-in tenant. The panels never know which.
import { call } from "../api.ts";
import type { ApiKey, UsageReport } from "../types.ts";

export interface TenantSource {
  usage(query: { from: string; to: string; granularity: string }): Promise<UsageReport>;
  flushUsage?(): Promise<void>;
  listKeys(): Promise<ApiKey[]>;
  createKey(body: { name: string; scopes: string[]; expiresAt?: string }): Promise<ApiKey>;
  revokeKey(id: string): Promise<void>;
}

const adminSources = new Map<string, TenantSource>();

/** One source per tenant, so panels that reload when their source changes do not loop. */
export function adminSource(tenantId: string): TenantSource {
  let source = adminSources.get(tenantId);
  if (!source) adminSources.set(tenantId, (source = makeAdminSource(tenantId)));
  return source;
}

function makeAdminSource(tenantId: string): TenantSource {
  const base = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  return {
    usage: (query) => call("GET", `${base}/usage`, { query }),
    flushUsage: async () => void (await call("POST", `${base}/usage/flush`)),
    listKeys: async () => (await call<{ data: ApiKey[] }>("GET", `${base}/keys`)).data,
    createKey: (body) => call("POST", `${base}/keys`, { body }),
    revokeKey: async (id) => void (await call("DELETE", `${base}/keys/${encodeURIComponent(id)}`)),
  };
}

export const portalSource: TenantSource = {
  usage: (query) => call("GET", "/v1/portal/usage", { query, mode: "portal" }),
  listKeys: async () => (await call<{ data: ApiKey[] }>("GET", "/v1/portal/keys", { mode: "portal" })).data,
  createKey: (body) => call("POST", "/v1/portal/keys", { body, mode: "portal" }),
  revokeKey: async (id) => void (await call("DELETE", `/v1/portal/keys/${encodeURIComponent(id)}`, { mode: "portal" })),
};
