import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { rotateMasterKeyBatch } from "./rotation.ts";

const RotateBody = z
  .strictObject({ batchSize: z.number().int().min(1).max(1000).default(100) })
  .openapi("RotateMasterKey");

const RotationReportSchema = z
  .object({
    currentKeyId: z.string(),
    previousKeyId: z.string().nullable(),
    rewrapped: z.number().int(),
    remaining: z.number().int(),
    unknownKeyIds: z.array(z.string()),
    failedTenantIds: z.array(z.string()),
  })
  .openapi("RotationReport");

const rotateRoute = createRoute({
  method: "post",
  path: "/v1/admin/rotate-master-key",
  operationId: "masterKeys.rotate",
  tags: ["secrets"],
  summary: "Re-wrap one batch of tenant data keys under the current MASTER_KEY (call until remaining is 0)",
  security: ADMIN_SECURITY,
  request: { body: { required: false, content: { "application/json": { schema: RotateBody } } } },
  responses: {
    200: { description: "What this batch did and what is left", content: { "application/json": { schema: RotationReportSchema } } },
    ...problems(400, 401, 413, 415, 503),
  },
});

export const rotationRoutes = createRouter()
  .openapi(rotateRoute, async (c) => {
    const body = c.req.valid("json") as z.infer<typeof RotateBody> | undefined;
    return c.json(await rotateMasterKeyBatch(c.get("services").db, c.env, body?.batchSize ?? 100), 200);
  });
