import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { problems } from "./schemas/problem.ts";

export const OPENAPI_PATH = "/openapi.json";

/** The document's top level; `servers` names the deployment that serves it, so a client generated from it works as is. */
export function openApiDocument(c: Context<AppEnv>) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tenantry API",
      version: "1.1.0",
      description: "Multi-tenant platform at the edge: control plane (admin token) and data plane (tenant credential).",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: new URL(c.req.url).origin, description: "This deployment" }],
  };
}

/** The document describes itself too: public, like health. */
export function documentSpecRoute(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: OPENAPI_PATH,
    operationId: "openapi.get",
    tags: ["meta"],
    summary: "This OpenAPI 3.1 document (no authentication)",
    security: [],
    responses: {
      200: { description: "The document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
      ...problems(404),
    },
  });
}
