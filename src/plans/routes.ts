import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { AutoPromoteSchema, LimitsSchema } from "../core/tenant.ts";
import { PLAN_IDS, PLANS, planView } from "../core/plans.ts";

const PlanSchema = z
  .object({ id: z.enum(PLAN_IDS), limits: LimitsSchema, features: z.array(z.string()), isolation: z.enum(["shared", "dedicated"]), autoPromote: AutoPromoteSchema.nullable() })
  .openapi("Plan");

const listPlansRoute = createRoute({
  method: "get",
  path: "/v1/plans",
  operationId: "plans.list",
  tags: ["plans"],
  summary: "The plans and their limits",
  security: ADMIN_SECURITY,
  responses: {
    200: { description: "Every plan", content: { "application/json": { schema: z.object({ data: z.array(PlanSchema) }) } } },
    ...problems(401),
  },
});

export const planRoutes = createRouter().openapi(listPlansRoute, (c) =>
  c.json({ data: PLAN_IDS.map((id) => planView(PLANS[id])) }, 200),
);
