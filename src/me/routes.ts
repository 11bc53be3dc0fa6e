import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, TENANT_SECURITY } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { LimitsSchema } from "../core/tenant.ts";

const MeSchema = z
  .object({
    tenant: z.object({
      id: z.string(),
      name: z.string(),
      plan: z.string(),
      status: z.string(),
      isolation: z.enum(["shared", "dedicated"]),
    }),
    limits: LimitsSchema,
    features: z.array(z.string()),
  })
  .openapi("Me");

const meRoute = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "me.get",
  tags: ["data plane"],
  summary: "The caller's tenant, limits and features",
  security: TENANT_SECURITY,
  responses: {
    200: { description: "The tenant behind the credential", content: { "application/json": { schema: MeSchema } } },
    ...problems(401, 403, 429, 503),
  },
});

export const meRoutes = createRouter().openapi(meRoute, (c) => {
  const tenant = c.get("tenant");
  return c.json(
    {
      tenant: { id: tenant.id, name: tenant.name, plan: tenant.plan, status: tenant.status, isolation: tenant.isolation },
      limits: tenant.limits,
      features: tenant.features,
    },
    200,
  );
});
