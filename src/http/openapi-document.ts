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

/** The operator's console (src/console/routes.ts): a public page; signing in with the admin token happens in it. */
export function documentConsoleRoute(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/console",
    operationId: "console.get",
    tags: ["meta"],
    summary: "The operator's web console (a single-page app; no authentication to load it, the admin token to use it)",
    description: "Sign-in with the admin token, kept in the tab's sessionStorage only; every screen is built on this API. Paths below `/console/` are the app's own.",
    security: [],
    responses: { 200: { description: "The console's page", content: { "text/html": { schema: z.string() } } } },
  });
}
