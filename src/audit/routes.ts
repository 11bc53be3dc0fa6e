import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { decodeCursor, encodeCursor } from "../http/cursor.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { tenants } from "../core/tenant-table.ts";
import { listAuditEvents } from "./query.ts";

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(256).optional(),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, "An action such as tenant.updated.")
    .max(64)
    .optional()
    .openapi({ description: "Only events with this action, e.g. `key.revoked`." }),
});

const AuditEventSchema = z
  .object({
    id: z.string().openapi({ example: "evt_01jh5k7x9q0000000000000000" }),
    at: z.string(),
    actor: z.string().openapi({ description: "`admin`, `system`, or the tenant credential (`key:<id>`, `token:<sub>`)." }),
    action: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEvent");

const auditRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}/audit",
  operationId: "audit.list",
  tags: ["audit"],
  summary: "A tenant's audit log, newest first",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, query: AuditQuery },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: z.object({ data: z.array(AuditEventSchema), nextCursor: z.string().nullable() }).openapi("AuditPage") } },
    },
    ...problems(400, 401, 404, 503),
  },
});

const isAuditCursor = (value: Record<string, unknown>): value is { before: string } =>
  typeof value.before === "string" && value.before.length <= 128;

export const auditRoutes = createRouter().openapi(auditRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const cursor = decodeCursor(query.cursor, isAuditCursor);
  const { db } = c.get("services");
  const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, id));
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  const page = await listAuditEvents(db, id, { action: query.action, beforeId: cursor?.before, limit: query.limit });
  return c.json({ data: page.events, nextCursor: page.more && page.lastId ? encodeCursor({ before: page.lastId }) : null }, 200);
});
