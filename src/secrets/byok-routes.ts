import { createRoute, z } from "@hono/zod-openapi";
import { recordAudit } from "../audit/record.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { WrappingKeyHeaders } from "./api-schemas.ts";
import { ByokKeyId, WRAPPING_KEY_HEADER, WrappingKeyMaterial } from "./byok.ts";
import { dropTenantWrappingKey, useTenantWrappingKey } from "./byok-service.ts";
import type { DataKeyRow } from "./data-keys.ts";

const ByokBody = z
  .strictObject({
    keyId: ByokKeyId,
    key: WrappingKeyMaterial.openapi({ type: "string", description: "base64 of the tenant's 32-byte wrapping key. Used once, never stored." }),
  })
  .openapi("TenantWrappingKey");

const DataKeyStatusSchema = z
  .object({
    tenantId: z.string(),
    wrappingKeyId: z.string().openapi({ description: "`byok:<keyId>` for the tenant's own key, `mk_…` for the platform's master key." }),
    rotatedAt: z.string().nullable(),
  })
  .openapi("TenantDataKeyStatus");

const putByokRoute = createRoute({
  method: "put",
  path: "/v1/tenants/{id}/byok",
  operationId: "byok.put",
  tags: ["secrets"],
  summary: "Wrap the tenant's data key with its own key (enterprise); send the current own key, if any, in X-Tenant-Wrapping-Key",
  security: ADMIN_SECURITY,
  request: {
    params: TenantIdParam,
    headers: WrappingKeyHeaders,
    body: { required: true, content: { "application/json": { schema: ByokBody } } },
  },
  responses: {
    200: { description: "The data key is now wrapped by the tenant's key", content: { "application/json": { schema: DataKeyStatusSchema } } },
    ...problems(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

const deleteByokRoute = createRoute({
  method: "delete",
  path: "/v1/tenants/{id}/byok",
  operationId: "byok.delete",
  tags: ["secrets"],
  summary: "Wrap the tenant's data key with the platform's master key again; send the tenant's key in X-Tenant-Wrapping-Key",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, headers: WrappingKeyHeaders },
  responses: {
    200: { description: "The data key is now wrapped by the master key", content: { "application/json": { schema: DataKeyStatusSchema } } },
    ...problems(400, 401, 403, 404, 409, 503),
  },
});

const statusOf = (row: DataKeyRow) => ({ tenantId: row.tenantId, wrappingKeyId: row.wrappingKeyId, rotatedAt: row.rotatedAt?.toISOString() ?? null });

export const byokRoutes = createRouter()
  .openapi(putByokRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { keyId, key } = c.req.valid("json");
    const { db } = c.get("services");
    const row = await useTenantWrappingKey(db, c.env, id, { keyId, key, current: c.req.valid("header")[WRAPPING_KEY_HEADER] });
    await recordAudit(db, { tenantId: id, actor: "admin", action: "tenant.updated", details: { change: "byok_enabled", wrappingKeyId: row.wrappingKeyId } });
    return c.json(statusOf(row), 200);
  })
  .openapi(deleteByokRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { db } = c.get("services");
    const row = await dropTenantWrappingKey(db, c.env, id, c.req.valid("header")[WRAPPING_KEY_HEADER]);
    await recordAudit(db, { tenantId: id, actor: "admin", action: "tenant.updated", details: { change: "byok_removed", wrappingKeyId: row.wrappingKeyId } });
    return c.json(statusOf(row), 200);
  });
