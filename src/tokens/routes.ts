import { createRoute } from "@hono/zod-openapi";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { IssuedTokenSchema, IssueTokenBody } from "./api-schemas.ts";
import { issueTenantToken } from "./issue-token.ts";

const issueTokenRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/tokens",
  operationId: "tokens.issue",
  tags: ["tokens"],
  summary: "Issue a tenant token (JWT, HS256)",
  description: "Claims: `tid`, `sub`, `scope` (space-separated), `iat`, `exp`, `jti`. 409 for a deleted tenant.",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, body: { required: true, content: { "application/json": { schema: IssueTokenBody } } } },
  responses: {
    201: { description: "The token and when it expires", content: { "application/json": { schema: IssuedTokenSchema } } },
    ...problems(400, 401, 404, 409, 413, 415, 503),
  },
});

export const tokenRoutes = createRouter().openapi(issueTokenRoute, async (c) => {
  const issued = await issueTenantToken(c.get("services").db, c.env.JWT_SECRET, c.req.valid("param").id, c.req.valid("json"));
  return c.json(issued, 201);
});
