// An endpoint's health, read from its latest deliveries (the API reports `disabled` only).
import type { WebhookDelivery, WebhookEndpoint } from "../../types.ts";
import { webhooksApi } from "./webhooks-api.ts";

export type Health = "disabled" | "failing" | "healthy" | "idle";

export interface EndpointHealth {
  endpoint: WebhookEndpoint;
  health: Health;
  /** The latest delivery that was attempted at least once. */
  last: WebhookDelivery | null;
}

export function healthOf(endpoint: WebhookEndpoint, deliveries: WebhookDelivery[]): EndpointHealth {
  const last = deliveries.find((delivery) => delivery.attempt > 0) ?? null;
  if (endpoint.disabled) return { endpoint, health: "disabled", last };
  if (!last) return { endpoint, health: "idle", last };
  return { endpoint, health: last.status === "delivered" ? "healthy" : "failing", last };
}

/** Every endpoint with its health (five latest deliveries each). */
export async function loadHealth(): Promise<EndpointHealth[]> {
  const endpoints = await webhooksApi.list();
  return Promise.all(
    endpoints.map(async (endpoint) => {
      const page = await webhooksApi.deliveries(endpoint.id, { limit: 5 }).catch(() => ({ data: [] }));
      return healthOf(endpoint, page.data);
    }),
  );
}

export const HEALTH_LABEL: Record<Health, string> = {
  disabled: "disabled",
  failing: "failing",
  healthy: "healthy",
  idle: "no deliveries yet",
};
