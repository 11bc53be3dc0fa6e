import type { Redis } from "@upstash/redis/cloudflare";
import { openServices } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { tenantNamespace } from "../cache/tenant-keys.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import { findTenantView } from "../tenants/repository.ts";
import { subscribedTypes, writeEvents } from "./outbox.ts";
import { relayOutbox } from "./relay.ts";

/** Per isolate: tenants whose quota.exhausted of the day this isolate has already seen to. */
const noted = new Map<string, string>();
const MAX_NOTED = 10_000;
const DAY_SECONDS = 86_400;

const quotaEventKey = (tenantId: string, day: string) => `${tenantNamespace(tenantId)}:quota-exhausted:${day}`;

/**
 * A tenant's quota refusal, after the response (waitUntil). Only the first of a UTC day does any
 * work: an in-isolate memo answers every later one, one Redis SET NX settles it across isolates,
 * and the outbox's dedupe key makes the event exist once even if both were lost.
 */
export async function noteQuotaExhausted(env: Env, redis: Redis, tenant: TenantContext, now = new Date()): Promise<void> {
  const day = now.toISOString().slice(0, 10);
  if (noted.get(tenant.id) === day) return;
  if (noted.size >= MAX_NOTED) noted.clear();
  noted.set(tenant.id, day);
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
