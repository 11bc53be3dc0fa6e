import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { decodeCursor, encodeCursor } from "../http/cursor.ts";
import { enqueueProvisioning } from "../provisioning/enqueue.ts";
import { CreatedTenantSchema, CreateTenantBody, ListTenantsQuery, TenantListSchema, TenantSchema } from "./api-schemas.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { createTenant } from "./create-tenant.ts";
import { findTenantView, listTenantRows, viewsOf } from "./repository.ts";

const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "Use 1 to 255 printable ASCII characters.")
    .optional()
    .openapi({ description: "Replays the first response for 24 h when the same body is sent again." }),
});

const createTenantRoute = createRoute({
  method: "post",
  path: "/v1/tenants",
  operationId: "tenants.create",
  tags: ["tenants"],
  summary: "Create a tenant (provisioned asynchronously)",
  security: ADMIN_SECURITY,
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { "application/json": { schema: CreateTenantBody } } },
  },
  responses: {
    202: { description: "Created; provisioning runs in the background", content: { "application/json": { schema: CreatedTenantSchema } } },
    ...problems(400, 401, 409, 413, 415, 503),
  },
});

const getTenantRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}",
  operationId: "tenants.get",
  tags: ["tenants"],
  summary: "Get a tenant",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: TenantSchema } } },
    ...problems(401, 404, 503),
  },
});

const listTenantsRoute = createRoute({
  method: "get",
  path: "/v1/tenants",
  operationId: "tenants.list",
  tags: ["tenants"],
  summary: "List tenants, newest first",
  security: ADMIN_SECURITY,
  request: { query: ListTenantsQuery },
  responses: {
    200: { description: "A page of tenants", content: { "application/json": { schema: TenantListSchema } } },
    ...problems(400, 401, 503),
  },
});

const isTenantCursor = (value: Record<string, unknown>): value is { before: string } =>
  typeof value.before === "string" && value.before.length <= 128;

export const tenantRoutes = createRouter()
  .openapi(createTenantRoute, async (c) => {
    const input = c.req.valid("json");
    const idempotencyKey = c.req.valid("header")["idempotency-key"];
    const { db } = c.get("services");
    const result = await createTenant(
      db,
      c.env.MASTER_KEY,
      input,
      idempotencyKey ? { key: idempotencyKey, rawBody: await c.req.json(), previousMasterKey: c.env.MASTER_KEY_PREVIOUS } : undefined,
    );
    if (result.created) c.executionCtx.waitUntil(enqueueProvisioning(c.env, { kind: "provision", tenantId: result.tenantId, reason: "created" }));
    for (const [name, value] of Object.entries(result.response.headers)) c.header(name, value);
    if (!result.created) c.header("Idempotent-Replayed", "true");
    return c.json(result.response.body as z.infer<typeof CreatedTenantSchema>, 202);
  })
  .openapi(getTenantRoute, async (c) => {
    const tenant = await findTenantView(c.get("services").db, c.req.valid("param").id);
    if (!tenant) throw new ApiError("not_found", "No such tenant.");
    return c.json(tenant, 200);
  })
  .openapi(listTenantsRoute, async (c) => {
    const query = c.req.valid("query");
    const cursor = decodeCursor(query.cursor, isTenantCursor);
    const { db } = c.get("services");
    const { rows, more } = await listTenantRows(db, {
      status: query.status,
      plan: query.plan,
      beforeId: cursor?.before,
      limit: query.limit,
    });
    const data = await viewsOf(db, rows);
    const last = rows.at(-1);
    return c.json({ data, nextCursor: more && last ? encodeCursor({ before: last.id }) : null }, 200);
  });
