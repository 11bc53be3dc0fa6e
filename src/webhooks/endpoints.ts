import { and, desc, eq, lt, sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { newId } from "../lib/ids.ts";
import type { CreateWebhookInput, UpdateWebhookInput } from "./api-schemas.ts";
import { writeEvents } from "./outbox.ts";
import { webhookDeliveries, webhookEndpoints } from "./schema.ts";
import { newWebhookSecret, openSecret, sealingKeyId, sealSecret } from "./secrets.ts";
import { PREVIOUS_SECRET_TTL_MS } from "./settings.ts";
import { checkEndpointUrl } from "./url-rules.ts";

type EndpointRow = typeof webhookEndpoints.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The contract's endpoint object: never a secret. */
export function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    disabled: row.disabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt.toISOString(),
  };
}

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    messageId: row.eventId,
    type: row.type,
    attempt: row.attempt,
    status: row.status as "pending" | "delivered" | "failed",
    responseStatus: row.responseStatus,
    error: row.error,
    at: (row.lastAttemptAt ?? row.createdAt).toISOString(),
  };
}

export async function findEndpoint(db: Database, id: string): Promise<EndpointRow> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw new ApiError("not_found", "No such webhook endpoint.");
  return row;
}

export async function createEndpoint(db: Database, env: Env, input: CreateWebhookInput) {
  const url = checkEndpointUrl(input.url, env.ENVIRONMENT);
  const id = newId("whk");
  const secret = newWebhookSecret();
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      url,
      events: input.events,
      description: input.description ?? null,
      secretBox: await sealSecret(env, id, secret),
      secretKeyId: await sealingKeyId(env),
    })
    .returning();
  return { ...endpointView(row!), secret };
}

export async function listEndpoints(db: Database) {
  const rows = await db.select().from(webhookEndpoints).orderBy(webhookEndpoints.id);
  return rows.map(endpointView);
}

export async function updateEndpoint(db: Database, env: Env, id: string, patch: UpdateWebhookInput) {
  const update: Partial<EndpointRow> = {};
  if (patch.url !== undefined) update.url = checkEndpointUrl(patch.url, env.ENVIRONMENT);
  if (patch.events !== undefined) update.events = patch.events;
  if (patch.description !== undefined) update.description = patch.description;
  if (patch.disabled !== undefined) {
    update.disabled = patch.disabled;
    // Enabled again by an operator: its failure history starts over.
    if (!patch.disabled) Object.assign(update, { disabledReason: null, failingSince: null });
  }
  if (Object.keys(update).length === 0) return endpointView(await findEndpoint(db, id));
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...update, updatedAt: sql`now()` })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  if (!row) throw new ApiError("not_found", "No such webhook endpoint.");
  return endpointView(row);
}

export async function deleteEndpoint(db: Database, id: string): Promise<void> {
  const deleted = await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw new ApiError("not_found", "No such webhook endpoint.");
}

/** A new secret; the old one keeps signing (a second `v1,` signature) for 24 hours. */
export async function rotateSecret(db: Database, env: Env, id: string): Promise<{ secret: string }> {
  const current = await findEndpoint(db, id);
  const secret = newWebhookSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      secretBox: await sealSecret(env, id, secret),
      // Sealed again so both boxes are under the current master key.
      previousSecretBox: await sealSecret(env, id, await openSecret(env, id, current.secretBox)),
      secretKeyId: await sealingKeyId(env),
      previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_TTL_MS),
      updatedAt: sql`now()`,
    })
    // Two rotations at once: one wins, the other is told to retry rather than lose a secret.
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.secretBox, current.secretBox)))
    .returning({ id: webhookEndpoints.id });
  if (!row) throw new ApiError("conflict", "The secret changed meanwhile; retry.");
  return { secret };
}

/** Queues a `webhook.test` event for this endpoint alone. */
export async function sendTestEvent(db: Database, id: string): Promise<{ id: string; type: "webhook.test" }> {
  const endpoint = await findEndpoint(db, id);
  if (endpoint.disabled) throw new ApiError("conflict", "The endpoint is disabled; enable it first (PATCH disabled: false).");
  const [messageId] = await writeEvents(db, [
    { type: "webhook.test", endpointId: id, data: { endpointId: id, message: "A test event from Tenantry." } },
  ]);
  return { id: messageId!, type: "webhook.test" };
}

/** Newest first; `before` is the last delivery id of the previous page. */
export async function listDeliveries(db: Database, endpointId: string, filter: { status?: string; beforeId?: string; limit: number }) {
  await findEndpoint(db, endpointId);
  const conditions: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (filter.status) conditions.push(eq(webhookDeliveries.status, filter.status));
  if (filter.beforeId) conditions.push(lt(webhookDeliveries.id, filter.beforeId));
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return { deliveries: page.map(deliveryView), more: rows.length > filter.limit, lastId: page.at(-1)?.id };
}
