import type { Redis } from "@upstash/redis/cloudflare";
import { openServices } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { tenantNamespace } from "../cache/tenant-keys.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import { findTenantView } from "../tenants/repository.ts";
import { subscribedTypes, writeEvents } from "./outbox.ts";
import { relayOutbox } from "./relay.ts";

/** Per isolate: tenants whose quota.exhausted of the day (UTC day number) this isolate has already seen to. */
const noted = new Map<string, number>();
const MAX_NOTED = 10_000;
const DAY_SECONDS = 86_400;

const quotaEventKey = (tenantId: string, day: string) => `${tenantNamespace(tenantId)}:quota-exhausted:${day}`;

/**
 * A tenant's quota refusal. Only the first of a UTC day does any work, after the response (`defer`):
 * an in-isolate memo answers every later one at once (a tenant past its quota may be flooding),
 * one Redis SET NX settles it across isolates, and the outbox's dedupe key makes the event exist
 * once even if both were lost.
 */
export function noteQuotaExhausted(env: Env, openRedis: () => Redis, tenant: TenantContext, defer: (p: Promise<unknown>) => void, now = Date.now()): void {
  const dayNumber = Math.floor(now / (DAY_SECONDS * 1000));
  if (noted.get(tenant.id) === dayNumber) return;
  if (noted.size >= MAX_NOTED) noted.clear();
  noted.set(tenant.id, dayNumber);
  defer(writeQuotaEvent(env, openRedis(), tenant, new Date(now).toISOString().slice(0, 10)));
}

async function writeQuotaEvent(env: Env, redis: Redis, tenant: TenantContext, day: string): Promise<void> {
  const key = quotaEventKey(tenant.id, day);
  try {
    if ((await redis.set(key, "1", { nx: true, ex: 2 * DAY_SECONDS })) !== "OK") return;
  } catch (error) {
    noted.delete(tenant.id);
    logEvent("warn", "quota.exhausted not noted", { tenantId: tenant.id, error: errorMessage(error) });
    return;
  }
  const scope = openServices(env);
  try {
    const db = scope.services.db;
    if (!(await subscribedTypes(db))("quota.exhausted")) return;
    const view = await findTenantView(db, tenant.id);
    const written = await writeEvents(db, [
      {
        type: "quota.exhausted",
        tenantId: tenant.id,
        dedupeKey: `quota.exhausted:${tenant.id}:${day}`,
        data: { tenantId: tenant.id, day, limit: { requestsPerDay: tenant.limits.requestsPerDay ?? null }, tenant: view ?? { id: tenant.id } },
      },
    ]);
    if (written.length > 0) await relayOutbox(env, db);
  } catch (error) {
    // Let a later refusal try again.
    noted.delete(tenant.id);
    await redis.del(key).catch(() => undefined);
    logEvent("warn", "quota.exhausted event not written", { tenantId: tenant.id, error: errorMessage(error) });
  } finally {
    await scope.close();
  }
}
