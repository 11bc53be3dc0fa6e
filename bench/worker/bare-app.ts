// The data-plane handlers WITHOUT tenancy, for the "full pipeline vs bare handler" benchmark.
// Same Hono middleware the real app runs before the pipeline (request id, services, JSON body guard)
// and the same route handlers, but no credential resolution, no Upstash limits, no runtime object:
// the tenant is fixed by the X-Bench-Tenant header and its context is loaded from Postgres once per
// isolate, then kept for good. Mounted by bench/bench-worker.ts under /bench/bare/. Never deployed.
import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { emptyUsage } from "../../src/edge/usage-meter.ts";
import type { AppEnv } from "../../src/http/app-env.ts";
import { handleError } from "../../src/http/errors.ts";
import { jsonBody } from "../../src/http/json-body.ts";
import { ApiError, toProblemResponse } from "../../src/http/problem.ts";
import { requestId } from "../../src/http/request-id.ts";
import { createRouter } from "../../src/http/router.ts";
import { services } from "../../src/http/services.ts";
import { meRoutes } from "../../src/me/routes.ts";
import { mapRoutes } from "../../src/storage/maps/routes.ts";
import { contextFromRow } from "../../src/core/context-from-row.ts";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { tenants } from "../../src/core/tenant-table.ts";

const fixedContexts = new Map<string, TenantContext>();

/** A fixed tenant scope instead of the tenancy pipeline: one Postgres read per isolate, then none. */
const fixedTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenantId = c.req.header("X-Bench-Tenant");
  if (!tenantId) throw new ApiError("invalid_request", "Send X-Bench-Tenant: <tenant id>.");
  let context = fixedContexts.get(tenantId);
  if (!context) {
    const [row] = await c.get("services").db.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    context = contextFromRow(row);
    fixedContexts.set(tenantId, context);
  }
  c.set("tenant", context);
  c.set("credential", { kind: "api_key", keyId: "key_bench_bare", scopes: ["read", "write"] });
  c.set("usage", emptyUsage(0));
  await next();
};

export function createBareApp() {
  const app = createRouter();
  app.use("*", requestId);
  app.use("*", services);
  app.use("/v1/*", jsonBody());
  app.use("/v1/*", fixedTenant);
  app.route("/", meRoutes);
  app.route("/", mapRoutes);
  app.notFound((c) => toProblemResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
