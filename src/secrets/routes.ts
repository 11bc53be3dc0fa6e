import { createRoute } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { recordAudit, type AuditAction } from "../audit/record.ts";
import { countOps } from "../edge/usage-meter.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import { createRouter, TENANT_SECURITY } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { actorOf } from "../core/tenant-context.ts";
import {
  PutSecretBody,
  SecretListSchema,
  SecretNameParam,
  SecretSchema,
  SecretWrittenSchema,
  WrappingKeyHeaders,
} from "./api-schemas.ts";
import { WRAPPING_KEY_HEADER } from "./byok.ts";
import { removeSecret, readSecret, secretNames, storeSecret, type SecretRequest } from "./service.ts";
import { checkSecretValue } from "./value.ts";

const tags = ["secrets"];

const putSecretRoute = createRoute({
  method: "put",
  path: "/v1/secrets/{name}",
  operationId: "secrets.put",
  tags,
  summary: "Store a secret (encrypted with the tenant's data key)",
  security: TENANT_SECURITY,
  request: {
    params: SecretNameParam,
    headers: WrappingKeyHeaders,
    body: { required: true, content: { "application/json": { schema: PutSecretBody } } },
  },
  responses: {
    200: { description: "Stored", content: { "application/json": { schema: SecretWrittenSchema } } },
    ...problems(400, 401, 403, 413, 415, 429, 503),
  },
});

const getSecretRoute = createRoute({
  method: "get",
  path: "/v1/secrets/{name}",
  operationId: "secrets.get",
  tags,
  summary: "Read a secret",
  security: TENANT_SECURITY,
  request: { params: SecretNameParam, headers: WrappingKeyHeaders },
  responses: {
    200: { description: "The secret", content: { "application/json": { schema: SecretSchema } } },
    ...problems(400, 401, 403, 404, 429, 503),
  },
});

const listSecretsRoute = createRoute({
  method: "get",
  path: "/v1/secrets",
  operationId: "secrets.list",
  tags,
  summary: "List secret names, in byte order",
  security: TENANT_SECURITY,
  responses: {
    200: { description: "Names and update times, never values", content: { "application/json": { schema: SecretListSchema } } },
    ...problems(401, 403, 429, 503),
  },
});

const deleteSecretRoute = createRoute({
  method: "delete",
  path: "/v1/secrets/{name}",
  operationId: "secrets.delete",
  tags,
  summary: "Delete a secret",
  security: TENANT_SECURITY,
  request: { params: SecretNameParam },
  responses: {
    204: { description: "Deleted" },
    ...problems(400, 401, 403, 404, 429, 503),
  },
});

/** Before validation, so a plan without secrets hears about its plan, not about its input. */
const requireSecretsFeature: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("tenant").features.includes("secrets")) {
    throw new ApiError("upgrade_required", "Secrets are not part of this tenant's plan.", { feature: "secrets" });
  }
  await next();
};

function secretRequest(c: Context<AppEnv>, wrappingKey: Uint8Array | undefined): SecretRequest {
  return { db: c.get("services").db, env: c.env, tenantId: c.get("tenant").id, wrappingKey };
}

/** Names only, never values; awaited, so nothing is disclosed or changed without a record. */
function audit(c: Context<AppEnv>, action: AuditAction, name: string, details: Record<string, unknown> = {}): Promise<void> {
  return recordAudit(c.get("services").db, {
    tenantId: c.get("tenant").id,
    actor: actorOf(c.get("credential")),
    action,
    details: { name, requestId: c.get("requestId"), ...details },
  });
}

const router = createRouter();
// "/v1/secrets/*" also matches "/v1/secrets" in Hono.
router.use("/v1/secrets/*", requireSecretsFeature);

export const secretRoutes = router
  .openapi(listSecretsRoute, async (c) => {
    const rows = await secretNames(c.get("services").db, c.get("tenant").id);
    countOps(c, { reads: 1 });
    return c.json({ data: rows.map((row) => ({ name: row.name, updatedAt: row.updatedAt.toISOString() })) }, 200);
  })
  .openapi(putSecretRoute, async (c) => {
    const { name } = c.req.valid("param");
    const { value } = c.req.valid("json");
    checkSecretValue(value);
    const written = await storeSecret(secretRequest(c, c.req.valid("header")[WRAPPING_KEY_HEADER]), name, value);
    countOps(c, { writes: 1 });
    await audit(c, "secret.written", name, { created: written.created });
    return c.json({ name, updatedAt: written.updatedAt.toISOString() }, 200);
  })
  .openapi(getSecretRoute, async (c) => {
    const { name } = c.req.valid("param");
    const secret = await readSecret(secretRequest(c, c.req.valid("header")[WRAPPING_KEY_HEADER]), name);
    countOps(c, { reads: 1 });
    await audit(c, "secret.read", name);
    c.header("Cache-Control", "no-store");
    return c.json({ name, value: secret.value, updatedAt: secret.updatedAt.toISOString() }, 200);
  })
  .openapi(deleteSecretRoute, async (c) => {
    const { name } = c.req.valid("param");
    await removeSecret(c.get("services").db, c.get("tenant").id, name);
    countOps(c, { writes: 1 });
    await audit(c, "secret.deleted", name);
    return c.body(null, 204);
  });
