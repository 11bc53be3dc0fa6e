import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { MIGRATION_FAULTS } from "../isolation/migration-record.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { STEP_NAMES } from "../provisioning/step-names.ts";
import { faultKey } from "./faults.ts";
import { findTenantRow } from "../tenants/repository.ts";
import { ApiError } from "../http/problem.ts";
import { RUNTIME_PROBE_URL, type RuntimeProbeState } from "./runtime-probe.ts";

/**
 * The integration suite's admin routes. src/app.ts mounts them on the admin router (admin token)
 * only with TEST_HOOKS=1; without it they do not exist. Hidden from /openapi.json.
 */
export const TEST_HOOKS_PREFIX = "/v1/_test/*";

const deliverRoute = createRoute({
  method: "post",
  path: "/v1/_test/provisioning/deliver",
  operationId: "testHooks.deliverProvisioning",
  hide: true,
  security: ADMIN_SECURITY,
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: z.strictObject({ tenantId: z.string().min(1).max(128), times: z.number().int().min(1).max(10) }) },
      },
    },
  },
  responses: { 202: { description: "Sent as one batch", content: { "application/json": { schema: z.object({ sent: z.number() }) } } }, ...problems(400, 401, 404) },
});

const faultRoute = createRoute({
  method: "put",
  path: "/v1/_test/provisioning/faults",
  operationId: "testHooks.setFault",
  hide: true,
  security: ADMIN_SECURITY,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .strictObject({
              tenantId: z.string().min(1).max(128).optional(),
              tenantName: z.string().min(1).max(200).optional(),
              step: z.enum([...STEP_NAMES, ...MIGRATION_FAULTS]),
              times: z.number().int().min(0).max(1000),
            })
            .refine((body) => (body.tenantId === undefined) !== (body.tenantName === undefined), "Give tenantId or tenantName."),
        },
      },
    },
  },
  responses: { 204: { description: "The step fails the next `times` times" }, ...problems(400, 401, 404) },
});

const warmStateRoute = createRoute({
  method: "get",
  path: "/v1/_test/runtime/{id}/dedicated",
  operationId: "testHooks.runtimeWarmState",
  hide: true,
  security: ADMIN_SECURITY,
  request: { params: z.object({ id: z.string().min(1).max(128) }) },
  responses: {
    200: {
      description: "Whether the tenant's dedicated runtime object keeps itself warm, and when this instance started",
      content: { "application/json": { schema: z.object({ pinned: z.boolean(), alarmAt: z.number().nullable(), bootedAt: z.number() }) } },
    },
    ...problems(401, 404),
  },
});

const inFlightRoute = createRoute({
  method: "get",
  path: "/v1/_test/runtime/{id}/in-flight",
  operationId: "testHooks.runtimeInFlight",
  hide: true,
  security: ADMIN_SECURITY,
  request: { params: z.object({ id: z.string().min(1).max(128) }) },
  responses: {
    200: {
      description: "Leases (and realtime writes) the tenant's runtime object holds right now: 0 once its requests are done",
      content: { "application/json": { schema: z.object({ inFlight: z.number() }) } },
    },
    ...problems(401, 404),
  },
});

export const testHookRoutes = createRouter();
testHookRoutes
  .openapi(deliverRoute, async (c) => {
    const { tenantId, times } = c.req.valid("json");
    const message = { body: { kind: "provision" as const, tenantId, reason: "test" as const }, contentType: "json" as const };
    await c.env.PROVISIONING_QUEUE.sendBatch(Array.from({ length: times }, () => message));
    return c.json({ sent: times }, 202);
  })
  .openapi(faultRoute, async (c) => {
    const { tenantId, tenantName, step, times } = c.req.valid("json");
    const key = faultKey(tenantId !== undefined ? { tenantId } : { tenantName: tenantName ?? "" }, step);
    const { redis } = c.get("services");
    if (times === 0) await redis.del(key);
    else await redis.set(key, times, { ex: 3600 });
    return c.body(null, 204);
  })
  .openapi(inFlightRoute, async (c) => {
    // The soak's "no lease held" check (scripts/soak/checks.ts), for a tenant on either tier.
    const row = await findTenantRow(c.get("services").db, c.req.valid("param").id);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    return c.json({ inFlight: await runtimeFor(c.env, row).inFlight(row.id) }, 200);
  })
  .openapi(warmStateRoute, async (c) => {
    // The object a dedicated tenant has (or had): its warm pin is invisible from anywhere else.
    const runtime = runtimeFor(c.env, { id: c.req.valid("param").id, isolation: "dedicated", region: null });
    const response = await runtime.fetch(RUNTIME_PROBE_URL);
    return c.json((await response.json()) as RuntimeProbeState, 200);
  });
