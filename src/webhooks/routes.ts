import { createRoute } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { decodeCursor, encodeCursor } from "../http/cursor.ts";
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  DeliveriesQuery,
  DeliveryPageSchema,
  SecretSchema,
  TestSentSchema,
  UpdateWebhookBody,
  WebhookIdParam,
  WebhookListSchema,
  WebhookSchema,
} from "./api-schemas.ts";
import { createEndpoint, deleteEndpoint, endpointView, findEndpoint, listDeliveries, listEndpoints, rotateSecret, sendTestEvent, updateEndpoint } from "./endpoints.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });
const tags = ["webhooks"];

const createWebhookRoute = createRoute({
  method: "post",
  path: "/v1/webhooks",
  operationId: "webhooks.create",
  tags,
  summary: "Register a webhook endpoint (its signing secret is shown once)",
  security: ADMIN_SECURITY,
  request: { body: { required: true, content: json(CreateWebhookBody) } },
  responses: { 201: { description: "The endpoint, with its secret", content: json(CreatedWebhookSchema) }, ...problems(400, 401, 413, 415, 503) },
});

const listWebhooksRoute = createRoute({
  method: "get",
  path: "/v1/webhooks",
  operationId: "webhooks.list",
  tags,
  summary: "List webhook endpoints",
  security: ADMIN_SECURITY,
  responses: { 200: { description: "Every endpoint, oldest first", content: json(WebhookListSchema) }, ...problems(401, 503) },
});

const getWebhookRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/{id}",
  operationId: "webhooks.get",
  tags,
  summary: "One webhook endpoint",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam },
  responses: { 200: { description: "The endpoint", content: json(WebhookSchema) }, ...problems(400, 401, 404, 503) },
});

const updateWebhookRoute = createRoute({
  method: "patch",
  path: "/v1/webhooks/{id}",
  operationId: "webhooks.update",
  tags,
  summary: "Change an endpoint's url, events, description or disabled flag",
  description: "`disabled: false` enables an endpoint the platform disabled and starts its failure history over.",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam, body: { required: true, content: json(UpdateWebhookBody) } },
  responses: { 200: { description: "The endpoint", content: json(WebhookSchema) }, ...problems(400, 401, 404, 413, 415, 503) },
});

const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/v1/webhooks/{id}",
  operationId: "webhooks.delete",
  tags,
  summary: "Delete an endpoint and its delivery log",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam },
  responses: { 204: { description: "Deleted" }, ...problems(400, 401, 404, 503) },
});

const rotateSecretRoute = createRoute({
  method: "post",
  path: "/v1/webhooks/{id}/rotate-secret",
  operationId: "webhooks.rotateSecret",
  tags,
  summary: "Rotate the signing secret; the old one also signs for 24 h",
  description: "For 24 hours every message carries two `v1,` signatures, one per secret.",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam },
  responses: { 200: { description: "The new secret (shown here only)", content: json(SecretSchema) }, ...problems(400, 401, 404, 409, 503) },
});

const testWebhookRoute = createRoute({
  method: "post",
  path: "/v1/webhooks/{id}/test",
  operationId: "webhooks.test",
  tags,
  summary: "Send a webhook.test event to this endpoint",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam },
  responses: { 202: { description: "Queued", content: json(TestSentSchema) }, ...problems(400, 401, 404, 409, 503) },
});

const deliveriesRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/{id}/deliveries",
  operationId: "webhooks.deliveries",
  tags,
  summary: "The endpoint's deliveries, newest first",
  security: ADMIN_SECURITY,
  request: { params: WebhookIdParam, query: DeliveriesQuery },
  responses: { 200: { description: "A page of deliveries", content: json(DeliveryPageSchema) }, ...problems(400, 401, 404, 503) },
});

const isDeliveryCursor = (value: Record<string, unknown>): value is { before: string } => typeof value.before === "string" && value.before.length <= 128;

export const webhookRoutes = createRouter()
  .openapi(createWebhookRoute, async (c) => c.json(await createEndpoint(c.get("services").db, c.env, c.req.valid("json")), 201))
  .openapi(listWebhooksRoute, async (c) => c.json({ data: await listEndpoints(c.get("services").db) }, 200))
  .openapi(getWebhookRoute, async (c) => c.json(endpointView(await findEndpoint(c.get("services").db, c.req.valid("param").id)), 200))
  .openapi(updateWebhookRoute, async (c) => c.json(await updateEndpoint(c.get("services").db, c.env, c.req.valid("param").id, c.req.valid("json")), 200))
  .openapi(deleteWebhookRoute, async (c) => {
    await deleteEndpoint(c.get("services").db, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(rotateSecretRoute, async (c) => c.json(await rotateSecret(c.get("services").db, c.env, c.req.valid("param").id), 200))
  .openapi(testWebhookRoute, async (c) => c.json(await sendTestEvent(c.get("services").db, c.req.valid("param").id), 202))
  .openapi(deliveriesRoute, async (c) => {
    const query = c.req.valid("query");
    const cursor = decodeCursor(query.cursor, isDeliveryCursor);
    const page = await listDeliveries(c.get("services").db, c.req.valid("param").id, { status: query.status, beforeId: cursor?.before, limit: query.limit });
    return c.json({ data: page.deliveries, nextCursor: page.more && page.lastId ? encodeCursor({ before: page.lastId }) : null }, 200);
  });
