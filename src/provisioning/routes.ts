import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { TenantSchema } from "../tenants/api-schemas.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { publishTenantChange } from "../tenants/publish-change.ts";
import { findTenantView } from "../tenants/repository.ts";
import { enqueueProvisioning } from "./enqueue.ts";
import { requestProvisioningRun } from "./request-run.ts";

const provisionRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/provision",
  operationId: "tenants.provision",
  tags: ["tenants"],
  summary: "Run provisioning again from the first unfinished step",
  description:
    "Idempotent and safe to call concurrently. A `failed` tenant goes back to `provisioning`; a tenant whose steps have all " +
    "succeeded is left as it is. 409 for a deleted tenant.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    202: { description: "Provisioning is (or was already) under way", content: { "application/json": { schema: TenantSchema } } },
    ...problems(401, 404, 409, 503),
  },
});

export const provisioningRoutes = createRouter().openapi(provisionRoute, async (c) => {
  const { id } = c.req.valid("param");
  const services = c.get("services");
  const request = await requestProvisioningRun(services.db, id);
  if (request.tenantChanged) await publishTenantChange(c.env, services, request.row);
  if (request.enqueue) await enqueueProvisioning(c.env, { kind: "provision", tenantId: id, reason: "retry" });
  const tenant = await findTenantView(services.db, id);
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  return c.json(tenant, 202);
});
