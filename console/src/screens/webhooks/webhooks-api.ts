// The webhook routes of the v1.1 contract (deployment-wide, admin token).
import { call } from "../../api.ts";
import type { Page, WebhookDelivery, WebhookEndpoint } from "../../types.ts";

const path = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;

export interface EndpointInput {
  url: string;
  events: string[];
  description: string | null;
}

export const webhooksApi = {
  list: () => call<{ data: WebhookEndpoint[] }>("GET", "/v1/webhooks").then((page) => page.data),
  get: (id: string) => call<WebhookEndpoint>("GET", path(id)),
  create: (input: EndpointInput) => call<WebhookEndpoint & { secret: string }>("POST", "/v1/webhooks", { body: input }),
  update: (id: string, patch: Partial<EndpointInput> & { disabled?: boolean }) => call<WebhookEndpoint>("PATCH", path(id), { body: patch }),
  remove: (id: string) => call<void>("DELETE", path(id)),
  rotateSecret: (id: string) => call<{ secret: string }>("POST", `${path(id)}/rotate-secret`),
  sendTest: (id: string) => call<{ id: string; type: string }>("POST", `${path(id)}/test`),
  deliveries: (id: string, query: { limit?: number; cursor?: string; status?: string } = {}) =>
    call<Page<WebhookDelivery>>("GET", `${path(id)}/deliveries`, { query }),
};
