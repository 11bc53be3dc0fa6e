import type { Isolation } from "../../src/core/plans.ts";
import { REGIONS } from "../../src/core/tenant.ts";

export interface RuntimePlacement {
  id: string;
  isolation: Isolation;
  region: string | null;
}

/** FNV-1a: a stable, fast hash for spreading shared tenants over shard objects. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function runtimeObjectName(env: Pick<Env, "RUNTIME_SHARDS">, tenant: RuntimePlacement): string {
  if (tenant.isolation === "dedicated") return `tenant:${tenant.id}`;
  const shards = Math.max(1, Number(env.RUNTIME_SHARDS) || 16);
  return `shard:${fnv1a(tenant.id) % shards}`;
}

/**
 * The runtime Durable Object serving `tenant`: one of N shard objects for the shared tier, its own
 * object for the dedicated tier, placed near the tenant's region.
 */
export function runtimeFor(env: Env, tenant: RuntimePlacement) {
  const id = env.TENANT_RUNTIME.idFromName(runtimeObjectName(env, tenant));
  if (tenant.isolation === "dedicated" && tenant.region && (REGIONS as readonly string[]).includes(tenant.region)) {
    return env.TENANT_RUNTIME.get(id, { locationHint: tenant.region as DurableObjectLocationHint });
  }
  return env.TENANT_RUNTIME.get(id);
}
