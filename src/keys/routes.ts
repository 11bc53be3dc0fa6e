import { createRoute } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { publishKeyRevocation } from "../tenants/publish-change.ts";
import { ApiKeyListSchema, CreatedKeySchema, CreateKeyBody, KeyPathParams } from "./api-schemas.ts";
import { createKey, listKeys, revokeKey } from "./repository.ts";

const createKeyRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/keys",
  operationId: "keys.create",
  tags: ["keys"],
  summary: "Create an API key (the secret is shown once)",
  description: "409 for a deleted tenant. `expiresAt` in the past is 400.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: {
    201: { description: "The key, with its secret", content: { "application/json": { schema: CreatedKeySchema } } },
    ...problems(400, 401, 404, 409, 413, 415, 503),
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}/keys",
  operationId: "keys.list",
  tags: ["keys"],
  summary: "List a tenant's API keys (never their secrets), revoked ones included",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    200: { description: "Every key of the tenant, oldest first", content: { "application/json": { schema: ApiKeyListSchema } } },
    ...problems(401, 404, 503),
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/v1/tenants/{id}/keys/{keyId}",
  operationId: "keys.revoke",
  tags: ["keys"],
  summary: "Revoke an API key (takes effect at every edge within a second)",
  description: "Idempotent: revoking a revoked key is 204 too. 404 for an unknown key or another tenant's key.",
  security: ADMIN_SECURITY,
  request: { params: KeyPathParams },
  responses: { 204: { description: "Revoked" }, ...problems(401, 404, 503) },
});

export const keyRoutes = createRouter()
  .openapi(createKeyRoute, async (c) => {
    const key = await createKey(c.get("services").db, c.req.valid("param").id, c.req.valid("json"));
    return c.json(key, 201);
  })
  .openapi(listKeysRoute, async (c) => {
    return c.json({ data: await listKeys(c.get("services").db, c.req.valid("param").id) }, 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id, keyId } = c.req.valid("param");
    const services = c.get("services");
    const { hash } = await revokeKey(services.db, id, keyId);
    await publishKeyRevocation(c.env, services, id, keyId, hash);
    return c.body(null, 204);
  });
