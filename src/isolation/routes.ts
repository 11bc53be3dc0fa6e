import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { decodeUtf8Body } from "../http/utf8-body.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { effectiveLimits, type Isolation, type LimitOverrides, type PlanId } from "../core/plans.ts";
import { enqueueProvisioning } from "../provisioning/enqueue.ts";
import { TenantSchema } from "../tenants/api-schemas.ts";
import { RegionSchema, TenantIdParam } from "../core/tenant.ts";
import { findTenantRow, findTenantView } from "../tenants/repository.ts";
import { exportStream } from "./export-stream.ts";
import { importNdjson } from "./import-ndjson.ts";
import { startMigration } from "./start-migration.ts";

/** Imports are read whole before validation; this bounds what one request may hold. */
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

const isolationRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/isolation",
  operationId: "isolation.change",
  tags: ["isolation"],
  summary: "Move the tenant between shared and dedicated isolation, online",
  description:
    "Runs as a queued workflow: copy, catch up, pause writes briefly (503 with Retry-After), sync, verify, switch, clean up. " +
    "A failure before the switch rolls back with nothing lost. Progress is the tenant's `migration`.",
  security: ADMIN_SECURITY,
  request: {
    params: TenantIdParam,
    body: {
      required: true,
      content: { "application/json": { schema: z.strictObject({ level: z.enum(["shared", "dedicated"]), region: RegionSchema.optional() }) } },
    },
  },
  responses: {
    202: { description: "The migration is queued", content: { "application/json": { schema: TenantSchema } } },
    ...problems(400, 401, 403, 404, 409, 503),
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}/export",
  operationId: "tenants.export",
  tags: ["isolation"],
  summary: "The tenant's configuration and map records as NDJSON (secrets are left out)",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    200: { description: "One JSON object a line: `tenant`, then `record`s, then `end`", content: { "application/x-ndjson": { schema: z.string() } } },
    ...problems(401, 404, 503),
  },
});

const importRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/import",
  operationId: "tenants.import",
  tags: ["isolation"],
  summary: "Load an export (NDJSON) into an empty tenant; a bad line is named in the error",
  description:
    "All or nothing, in one transaction. `record` lines alone are accepted too; a body that begins with an export's `tenant` " +
    "line must end with its `end` line (an export cut off is refused), whose `records` must match.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    200: { description: "Imported", content: { "application/json": { schema: z.object({ imported: z.number().int() }) } } },
    ...problems(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

export const isolationRoutes = createRouter()
  .openapi(isolationRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { level, region } = c.req.valid("json");
    const { migration } = await startMigration(c.get("services").db, id, level as Isolation, region);
    // Read before enqueueing: the consumer may start at once, and the answer is "queued".
    const tenant = await findTenantView(c.get("services").db, id);
    c.executionCtx.waitUntil(enqueueProvisioning(c.env, { kind: "migrate", tenantId: id, migrationId: migration.id }));
    return c.json(tenant!, 202);
  })
  .openapi(exportRoute, async (c) => {
    const row = await findTenantRow(c.get("services").db, c.req.valid("param").id);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    // A streamed body the typed JSON helpers cannot describe.
    return new Response(exportStream(c.env, row), {
      status: 200,
      headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Content-Disposition": `attachment; filename="${row.id}.ndjson"` },
    }) as never;
  })
  .openapi(importRoute, async (c) => {
    const { id } = c.req.valid("param");
    const type = c.req.header("Content-Type") ?? "";
    if (!/^(application\/(x-)?ndjson|application\/jsonl|text\/plain)\b/i.test(type)) {
      throw new ApiError("unsupported_media_type", "Send the export as Content-Type: application/x-ndjson.");
    }
    if (Number(c.req.header("Content-Length") ?? 0) > MAX_IMPORT_BYTES) {
      throw new ApiError("payload_too_large", `Imports are at most ${MAX_IMPORT_BYTES} bytes.`, { limit: MAX_IMPORT_BYTES });
    }
    const bytes = await c.req.arrayBuffer();
    if (bytes.byteLength > MAX_IMPORT_BYTES) throw new ApiError("payload_too_large", `Imports are at most ${MAX_IMPORT_BYTES} bytes.`, { limit: MAX_IMPORT_BYTES });
    const body = decodeUtf8Body(c, bytes);
    const { db } = c.get("services");
    const row = await findTenantRow(db, id);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    if (row.status === "deleted") throw new ApiError("conflict", "The tenant is deleted.");
    const limits = effectiveLimits(row.plan, row.overrides);
    const imported = await importNdjson(db, { id, isolation: row.isolation }, limits, body);
    return c.json({ imported }, 200);
  });
