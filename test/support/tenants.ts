import { admin, call, createTenant, eventually, type ApiResponse } from "./api.ts";

export interface ActiveTenant {
  id: string;
  key: string;
  tenant: any;
  /** The first API key, as POST /v1/tenants answered it. */
  apiKey: { id: string; key: string; scopes: string[] };
  /** A data-plane call with this tenant's key. */
  call: <T = any>(method: string, path: string, options?: Parameters<typeof call>[2]) => Promise<ApiResponse<T>>;
}

/** Creates a tenant through the API and waits until provisioning made it `active`. */
export async function activeTenant(body: Record<string, unknown> = {}): Promise<ActiveTenant> {
  const created = await createTenant({ name: `t-${Math.random().toString(36).slice(2, 8)}`, plan: "pro", ...body });
  const tenant = await eventually(async () => {
    const response = await admin("GET", `/v1/tenants/${created.tenant.id}`);
    return response.body?.status === "active" ? response.body : undefined;
  }, 30_000, 100);
  const key = created.apiKey.key;
  return {
    id: created.tenant.id,
    key,
    tenant,
    apiKey: created.apiKey,
    call: <T = any>(method: string, path: string, options: Parameters<typeof call>[2] = {}) =>
      call<T>(method, path, { token: key, ...options }),
  };
}
