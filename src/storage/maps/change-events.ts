import type { TenantContext } from "../../core/tenant-context.ts";
import { runtimeFor } from "../../../durable-objects/tenant-runtime/stub.ts";

export interface MapChange {
  tenantId: string;
  map: string;
  key: string;
  op: "set" | "delete";
  value: unknown;
  version: number;
}

/**
 * Called once after every committed REST write, outside the request's critical path (`waitUntil`):
 * the tenant's runtime object holds its WebSockets and fans the change out to subscribers of `map`.
 * (Realtime writes are published by the runtime object itself.)
 */
export async function publishMapChange(env: Env, tenant: TenantContext, change: MapChange): Promise<void> {
  await runtimeFor(env, tenant).publish(change);
}
