import type { Redis } from "@upstash/redis/cloudflare";
import { KEY_PREFIX } from "../cache/tenant-keys.ts";
import { testHooksEnabled } from "./enabled.ts";


/** Faults a test arms through the admin routes (routes.ts); nothing here acts when hooks are off. */

/**
 * A fault targets a tenant by id, or by name so a test can arm it before the tenant exists.
 * Outside the tenant's namespace on purpose: tests count the keys a run leaves there.
 */
export type FaultTarget = { tenantId: string } | { tenantName: string };

export function faultKey(target: FaultTarget, step: string): string {
  const who = "tenantId" in target ? `id:${target.tenantId}` : `name:${target.tenantName}`;
  return `${KEY_PREFIX}:test-fault:${who}:${step}`;
}

export class InjectedFault extends Error {
  constructor(step: string) {
    super(`injected failure of step ${step} (test hook)`);
    this.name = "InjectedFault";
  }
}

/** Fails the step while its fault counter is above zero, counting down one per failure. */
export async function checkInjectedFault(env: Env, redis: Redis, tenant: { id: string; name: string }, step: string): Promise<void> {
  if (await takeInjectedFault(env, redis, tenant, step)) throw new InjectedFault(step);
}

/** True (counting down one) while the fault's counter is above zero: for faults that are not a thrown error. */
export async function takeInjectedFault(env: Env, redis: Redis, tenant: { id: string; name: string }, step: string): Promise<boolean> {
  if (!testHooksEnabled(env)) return false;
  const keys = [faultKey({ tenantId: tenant.id }, step), faultKey({ tenantName: tenant.name }, step)];
  const remaining = await redis.mget<(number | null)[]>(...keys);
  const armed = keys.find((_, index) => (remaining[index] ?? 0) > 0);
  if (!armed) return false;
  await redis.decr(armed);
  return true;
}
