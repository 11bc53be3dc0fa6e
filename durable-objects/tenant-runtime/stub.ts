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

const shardCount = (env: Pick<Env, "RUNTIME_SHARDS">) => Math.max(1, Number(env.RUNTIME_SHARDS) || 16);

/** Per isolate, by shard count and tenant id: a request asks for its object's name several times. */
const shardNames = new Map<string, string>();
const MAX_CACHED_NAMES = 10_000;

export function runtimeObjectName(env: Pick<Env, "RUNTIME_SHARDS">, tenant: RuntimePlacement): string {
  if (tenant.isolation === "dedicated") return `tenant:${tenant.id}`;
  const shards = shardCount(env);
  const key = `${shards}:${tenant.id}`;
  let name = shardNames.get(key);
  if (name === undefined) {
    name = `shard:${fnv1a(tenant.id) % shards}`;
    if (shardNames.size >= MAX_CACHED_NAMES) shardNames.clear();
    shardNames.set(key, name);
  }
  return name;
}

/**
 * Object ids by name, per isolate and namespace: `idFromName` hashes the name (HMAC-SHA-256) on
 * every call, and an id is a plain value, safe to keep across requests (a stub is not).
 */
const objectIds = new WeakMap<Env["TENANT_RUNTIME"], Map<string, DurableObjectId>>();

function objectId(namespace: Env["TENANT_RUNTIME"], name: string): DurableObjectId {
  let ids = objectIds.get(namespace);
  if (!ids) objectIds.set(namespace, (ids = new Map()));
  let id = ids.get(name);
  if (!id) {
    id = namespace.idFromName(name);
    if (ids.size >= MAX_CACHED_NAMES) ids.clear();
    ids.set(name, id);
  }
  return id;
}

/** Every shared-tier shard object (the metrics visit each). */
export function shardObjectNames(env: Pick<Env, "RUNTIME_SHARDS">): string[] {
  return Array.from({ length: shardCount(env) }, (_, shard) => `shard:${shard}`);
}

/** A runtime object by its name, for visits that concern no one tenant. */
export function runtimeByName(env: Env, name: string) {
  return env.TENANT_RUNTIME.get(objectId(env.TENANT_RUNTIME, name));
}

/**
 * The runtime Durable Object serving `tenant`: one of N shard objects for the shared tier, its own
 * object for the dedicated tier, placed near the tenant's region.
 */
export function runtimeFor(env: Env, tenant: RuntimePlacement) {
  const id = objectId(env.TENANT_RUNTIME, runtimeObjectName(env, tenant));
  const placed = tenant.isolation === "dedicated" && tenant.region && (REGIONS as readonly string[]).includes(tenant.region);
  const stub = placed ? env.TENANT_RUNTIME.get(id, { locationHint: tenant.region as DurableObjectLocationHint }) : env.TENANT_RUNTIME.get(id);
  return env.LOCAL_RUNTIME_DELAY_MS ? delayedStub(stub, Number(env.LOCAL_RUNTIME_DELAY_MS) || 0, Number(env.LOCAL_RUNTIME_JITTER_MS) || 0) : stub;
}

/**
 * The local network model only (LOCAL_RUNTIME_DELAY_MS is set by scripts/stack, never in a
 * deployment): every call to the object waits one leg before it is made and one after it answers,
 * as a runtime object placed away from the edge would.
 */
function delayedStub<T extends object>(stub: T, oneWayMs: number, jitterMs: number): T {
  const leg = () => new Promise<void>((resolve) => setTimeout(resolve, oneWayMs + Math.random() * jitterMs));
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await leg();
        // Reflect.apply, not value.apply: on an RPC stub, `.apply` would itself be a remote call.
        const answer = await Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        await leg();
        return answer;
      };
    },
  });
}
