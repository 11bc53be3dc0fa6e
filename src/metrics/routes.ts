import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter, TENANT_SECURITY } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { contextFromRow } from "../core/context-from-row.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { findTenantRow } from "../tenants/repository.ts";
import { platformMetrics, tenantMetrics } from "./collect.ts";
import { CONTENT_TYPE, negotiateFormat, render, type MetricFamily } from "./exposition.ts";

const exposition = {
  description: "Prometheus text format 0.0.4, or OpenMetrics 1.0 when `Accept` asks for `application/openmetrics-text`",
  content: {
    "text/plain; version=0.0.4": { schema: z.string() },
    "application/openmetrics-text; version=1.0.0": { schema: z.string() },
  },
};

const platformRoute = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "metrics.get",
  tags: ["metrics"],
  summary: "Platform metrics for Prometheus (labels from bounded sets only)",
  security: ADMIN_SECURITY,
  responses: { 200: exposition, ...problems(401, 503) },
});

const tenantAdminRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}/metrics",
  operationId: "tenants.metrics",
  tags: ["metrics"],
  summary: "One tenant's metrics: the platform's families for that tenant, plus tenantry_quota_used_ratio",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: { 200: exposition, ...problems(401, 404, 503) },
});

const tenantSelfRoute = createRoute({
  method: "get",
  path: "/v1/metrics",
  operationId: "metrics.tenant",
  tags: ["metrics"],
  summary: "The calling tenant's metrics (needs the `read` scope)",
  security: TENANT_SECURITY,
  responses: { 200: exposition, ...problems(401, 403, 429, 503) },
});

function metricsResponse(c: Context<AppEnv>, families: MetricFamily[]): Response {
  const format = negotiateFormat(c.req.header("Accept"));
  return c.body(render(families, format), 200, { "Content-Type": CONTENT_TYPE[format], Vary: "Accept" });
}

/** Admin: the platform's series and any one tenant's. */
export const metricsAdminRoutes = createRouter()
  .openapi(platformRoute, async (c) => metricsResponse(c, await platformMetrics(c.env, c.get("services").db)) as never)
  .openapi(tenantAdminRoute, async (c) => {
    const { db } = c.get("services");
    const row = await findTenantRow(db, c.req.valid("param").id);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    return metricsResponse(c, await tenantMetrics(c.env, db, contextFromRow(row), row.migration !== null)) as never;
  });

/** Data plane: the calling tenant's own series. */
export const metricsTenantRoutes = createRouter().openapi(tenantSelfRoute, async (c) => {
    const tenant = c.get("tenant");
    return metricsResponse(c, await tenantMetrics(c.env, c.get("services").db, tenant, false)) as never;
  });
