import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/router.ts";
import { runHealthChecks } from "./checks.ts";

const CheckSchema = z.object({ status: z.enum(["ok", "down"]), latencyMs: z.number(), error: z.string().optional() });
const HealthSchema = z
  .object({ status: z.enum(["ok", "unavailable"]), checks: z.object({ postgres: CheckSchema, redis: CheckSchema }) })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/v1/health",
  tags: ["health"],
  summary: "Liveness of the stack (no authentication)",
  responses: {
    200: { description: "Every dependency answers", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency is down", content: { "application/json": { schema: HealthSchema } } },
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const checks = await runHealthChecks(c.get("services"));
  const healthy = checks.postgres.status === "ok" && checks.redis.status === "ok";
  c.header("Cache-Control", "no-store");
  if (!healthy) {
    c.header("Retry-After", "1");
    return c.json({ status: "unavailable" as const, checks }, 503);
  }
  return c.json({ status: "ok" as const, checks }, 200);
});
