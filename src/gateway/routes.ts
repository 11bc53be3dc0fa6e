import { z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { log } from "../lib/log.ts";
import { createRouter, TENANT_SECURITY } from "../http/router.ts";
import { ProblemSchema, problems } from "../http/schemas/problem.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { forwardToOrigin } from "./forward.ts";
import { originHeaders, signingConfig } from "./origin-request.ts";
import { GATEWAY_PREFIX } from "./paths.ts";
import { gatewayTarget } from "./target.ts";
import { isWebSocketUpgrade, proxyWebSocket } from "./websocket.ts";

/**
 * `/gw/{path…}`: the data-plane pipeline has admitted the caller (credential, limits, status gate,
 * scope, lease); this forwards the request to the tenant's origin and streams the answer back.
 * The pipeline releases the lease once `streamed` settles, i.e. after the last byte went out.
 */
export const gatewayRoutes = createRouter();

gatewayRoutes.all(`${GATEWAY_PREFIX}/*`, async (c) => {
  const tenant = c.get("tenant");
  const request = c.req.raw;
  const url = new URL(request.url);
  const target = gatewayTarget(c.env, tenant, url);
  if (!target) throw new ApiError("not_found", "No gateway origin is configured for this tenant.");
  const signing = signingConfig(c.env);
  if (!signing) {
    log.error("GATEWAY_SIGNING_SECRET is not set: the gateway forwards nothing unsigned", { requestId: c.get("requestId") });
    throw new ApiError("unavailable", "The gateway is not configured yet; retry later.", { retryAfterMs: 60_000 });
  }
  const websocket = isWebSocketUpgrade(request);
  const headers = await originHeaders(request, url, target.url, { tenant, credential: c.get("credential"), requestId: c.get("requestId") }, signing, websocket);
  if (websocket) {
    return proxyWebSocket(runtimeFor(c.env, tenant), tenant, target, headers, (promise) => c.executionCtx.waitUntil(promise));
  }
  const forwarded = await forwardToOrigin(request, target, headers);
  c.set("streamed", forwarded.done);
  return forwarded.response;
});

// Documented once per method: any method and any path below /gw/ is forwarded the same way.
const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"] as const;

/** A HEAD answer has no body: the same statuses, described without one. */
const withoutBodies = (responses: Record<string, { description: string }>) =>
  Object.fromEntries(Object.entries(responses).map(([status, { description }]) => [status, { description }]));

for (const method of METHODS) {
  const responses = {
    ...(method === "get" ? { 101: { description: "WebSocket upgrade accepted by the origin" } } : {}),
    200: { description: "The origin's response, whatever its status (an origin 4xx or 5xx is passed through as well)" },
    ...problems(401, 403, 404, 429, 503),
    502: { description: "The origin could not be reached (`bad_gateway`)", content: { "application/problem+json": { schema: ProblemSchema } } },
    504: { description: "No response headers from the origin within `timeoutMs` (`gateway_timeout`)", content: { "application/problem+json": { schema: ProblemSchema } } },
  };
  gatewayRoutes.openAPIRegistry.registerPath({
    method,
    path: `${GATEWAY_PREFIX}/{path}`,
    operationId: `gateway.${method}`,
    tags: ["gateway"],
    summary: `Forward a ${method.toUpperCase()} request to the tenant's origin`,
    description:
      "Forwarded to `{origin}/{path…}` with the query string unchanged, where `origin` is the tenant's `gateway.origin`, else " +
      "the deployment's GATEWAY_ORIGIN (neither: 404). `path` may span several segments. HEAD is forwarded like GET. The data-plane pipeline applies " +
      "(credential, limits, status gate, scope `read` for GET/HEAD/OPTIONS and `write` otherwise). The origin receives the " +
      "request without Authorization, `Tenantry-*` and hop-by-hop headers, plus `Tenantry-Tenant-Id`, `Tenantry-Plan`, " +
      "`Tenantry-Isolation`, `Tenantry-Credential`, `Tenantry-Scopes`, `Tenantry-Request-Id`, `Forwarded` and an RFC 9421 " +
      "signature (`Signature-Input`, `Signature`; see docs/GATEWAY.md). The origin's answer comes back streamed, status, " +
      "headers and body unchanged. A WebSocket upgrade (GET) is proxied and counts against `maxConnections`.",
    security: TENANT_SECURITY,
    request: { params: z.object({ path: z.string().openapi({ param: { name: "path", in: "path" }, example: "orders/42" }) }) },
    responses: method === "head" ? withoutBodies(responses) : responses,
  });
}
