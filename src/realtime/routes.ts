import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, TENANT_SECURITY } from "../http/router.ts";
import { ApiError } from "../http/problem.ts";
import { problems } from "../http/schemas/problem.ts";
import { actorOf } from "../core/tenant-context.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { handoffRequest } from "./forward.ts";
import { REALTIME_PATH, TICKETS_PATH } from "./paths.ts";
import { issueTicket } from "./tickets.ts";

const createTicketRoute = createRoute({
  method: "post",
  path: TICKETS_PATH,
  operationId: "realtime.createTicket",
  tags: ["realtime"],
  summary: "A single-use ticket (60 s) to open the realtime WebSocket without an Authorization header",
  security: TENANT_SECURITY,
  responses: {
    201: {
      description: "The ticket",
      content: { "application/json": { schema: z.object({ ticket: z.string(), expiresAt: z.string() }).openapi("RealtimeTicket") } },
    },
    ...problems(401, 403, 429, 503),
  },
});

const connectRoute = createRoute({
  method: "get",
  path: REALTIME_PATH,
  operationId: "realtime.connect",
  tags: ["realtime"],
  summary: "Open the realtime WebSocket (credential in Authorization or ?ticket=)",
  security: TENANT_SECURITY,
  request: { query: z.object({ ticket: z.string().optional() }) },
  responses: {
    101: { description: "Switching protocols: JSON text frames as the contract's realtime protocol" },
    ...problems(400, 401, 403, 429, 503),
  },
});

function requireRealtime(features: readonly string[]): void {
  if (!features.includes("realtime")) throw new ApiError("upgrade_required", "The tenant's plan has no realtime feature.");
}

export const realtimeRoutes = createRouter()
  .openapi(createTicketRoute, async (c) => {
    const tenant = c.get("tenant");
    const credential = c.get("credential");
    requireRealtime(tenant.features);
    if (credential.kind === "ticket") throw new ApiError("forbidden", "A ticket cannot issue another ticket.");
    const ticket = await issueTicket(c.env.JWT_SECRET, { tid: tenant.id, actor: actorOf(credential), scopes: credential.scopes });
    return c.json(ticket, 201);
  })
  .openapi(connectRoute, async (c) => {
    const tenant = c.get("tenant");
    const credential = c.get("credential");
    requireRealtime(tenant.features);
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("invalid_request", "This endpoint speaks WebSocket only: send Upgrade: websocket.", {
        errors: [{ path: "header.upgrade", message: "Expected websocket" }],
      });
    }
    const request = handoffRequest(c.req.raw, {
      context: tenant,
      actor: actorOf(credential),
      scopes: credential.scopes,
      requestId: c.get("requestId"),
      ...(credential.kind === "ticket" ? { ticket: { jti: credential.jti } } : {}),
    });
    const upgraded = await runtimeFor(c.env, tenant).fetch(request);
    // Re-wrapped so the edge can add its headers (request id, rate limits) to the 101 too.
    return new Response(upgraded.body, { status: upgraded.status, headers: upgraded.headers, webSocket: upgraded.webSocket });
  });
