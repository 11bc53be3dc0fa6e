import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { createRouter } from "../http/router.ts";
import { ProblemSchema } from "../http/schemas/problem.ts";
import { runHealthChecks } from "./checks.ts";

const CheckSchema = z.object({ status: z.enum(["ok", "down"]), latencyMs: z.number(), error: z.string().optional() });
const ChecksSchema = z.object({ postgres: CheckSchema, redis: CheckSchema });
const HealthSchema = z.object({ status: z.literal("ok"), checks: ChecksSchema }).openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/v1/health",
  operationId: "health.get",
  tags: ["health"],
  summary: "Liveness of the stack (no authentication)",
  security: [],
  responses: {
    200: { description: "Every dependency answers", content: { "application/json": { schema: HealthSchema } } },
    503: {
      description: "A dependency is down: an `unavailable` problem document that also carries `checks`",
      content: { "application/problem+json": { schema: ProblemSchema.extend({ checks: ChecksSchema }) } },
    },
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const checks = await runHealthChecks(c.get("services"));
  if (checks.postgres.status !== "ok" || checks.redis.status !== "ok") {
    const down = Object.entries(checks).flatMap(([name, check]) => (check.status === "ok" ? [] : [name]));
    throw new ApiError("unavailable", `Not ready to serve: ${down.join(" and ")} down.`, { retryAfterMs: 1000, checks, headers: { "Cache-Control": "no-store" } });
  }
  c.header("Cache-Control", "no-store");
  return c.json({ status: "ok" as const, checks }, 200);
});
