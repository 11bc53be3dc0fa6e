import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { enqueueProvisioning } from "../provisioning/enqueue.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { DeleteTenantQuery, TenantSchema, UpdateTenantBody } from "./api-schemas.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { retentionDays, softDeleteTenant } from "./delete-tenant.ts";
import { publishTenantChange } from "./publish-change.ts";
import { purgeTenant } from "./purge-tenant.ts";
import { findTenantView, viewsOf } from "./repository.ts";
import { updateTenant } from "./update-tenant.ts";

const updateTenantRoute = createRoute({
  method: "patch",
  path: "/v1/tenants/{id}",
  operationId: "tenants.update",
  tags: ["tenants"],
  summary: "Change a tenant: name, plan, overrides, metadata, suspend or resume",
  description:
    "`overrides` and `metadata` are JSON merge patches (`null` removes a field). `status: suspended` suspends an active " +
    "tenant, `status: active` resumes a suspended one; any other transition, and any change to a deleted tenant, is 409. " +
    "A plan or override change re-runs the plan-dependent provisioning steps; it never changes the isolation.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, body: { required: true, content: { "application/json": { schema: UpdateTenantBody } } } },
  responses: {
    200: { description: "The tenant after the change", content: { "application/json": { schema: TenantSchema } } },
    ...problems(400, 401, 404, 409, 413, 415, 503),
  },
});

const deleteTenantRoute = createRoute({
  method: "delete",
  path: "/v1/tenants/{id}",
  operationId: "tenants.delete",
  tags: ["tenants"],
  summary: "Delete a tenant (soft; `hard=true` purges now)",
  description:
    "Soft delete: status `deleted`, every key revoked at once, data kept until `purgeAfter` (TENANT_RETENTION_DAYS, 30 by " +
    "default). Deleting a deleted tenant is idempotent (202, nothing changes). With `hard=true` everything is purged " +
    "before the response, after which the tenant is 404; if a dependency fails mid-way the answer is 503 and the " +
    "scheduled purge finishes the job.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, query: DeleteTenantQuery },
  responses: {
    202: { description: "The deleted tenant", content: { "application/json": { schema: TenantSchema } } },
    ...problems(400, 401, 404, 503),
  },
});

export const lifecycleRoutes = createRouter()
  .openapi(updateTenantRoute, async (c) => {
    const { id } = c.req.valid("param");
    const services = c.get("services");
    const result = await updateTenant(services.db, id, c.req.valid("json"));
    if (result.changed) await publishTenantChange(c.env, services, result.row);
    if (result.rerunSteps) await enqueueProvisioning(c.env, { kind: "provision", tenantId: id, reason: "plan_changed" });
    const tenant = await findTenantView(services.db, id);
    if (!tenant) throw new ApiError("not_found", "No such tenant.");
    return c.json(tenant, 200);
  })
  .openapi(deleteTenantRoute, async (c) => {
    const { id } = c.req.valid("param");
    const hard = c.req.valid("query").hard === "true";
    const services = c.get("services");
    const result = await softDeleteTenant(services.db, id, { retentionDays: retentionDays(c.env), purgeNow: hard });
    if (result.changed) await publishTenantChange(c.env, services, result.row, result.keyHashes);
    const [tenant] = await viewsOf(services.db, [result.row]);
    if (!tenant) throw new ApiError("not_found", "No such tenant.");
    if (hard) {
      try {
        await purgeTenant(c.env, services, id);
      } catch (error) {
        logEvent("error", "hard delete could not purge; the scheduled purge will finish it", { tenantId: id, error: errorMessage(error) });
        throw new ApiError("unavailable", "The tenant is deleted but could not be purged yet; retry, or let the scheduled purge finish.", {
          retryAfterMs: 5000,
        });
      }
    }
    return c.json(tenant, 202);
  });
