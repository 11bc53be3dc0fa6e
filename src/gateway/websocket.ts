import { ApiError } from "../http/problem.ts";
import type { TenantContext } from "../core/tenant-context.ts";
import { GATEWAY_SOCKET_TTL_MS } from "../../durable-objects/tenant-runtime/admission.ts";
import type { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { forwardableResponseHeaders } from "./headers.ts";
import type { GatewayTarget } from "./target.ts";

type Runtime = ReturnType<typeof runtimeFor>;

export const isWebSocketUpgrade = (request: Request) =>
  request.method === "GET" && (request.headers.get("Upgrade") ?? "").toLowerCase() === "websocket";

/** Close codes a peer may send on (1005, 1006 and 1015 only ever describe a close, never request one). */
const closeCode = (code: number) => (code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) ? code : 1000);

/**
 * A WebSocket through the gateway: a slot under the tenant's `maxConnections` (held in its runtime
 * object), the origin's socket, and a relay between it and the client's for as long as both live.
 */
export async function proxyWebSocket(
  runtime: Runtime,
  tenant: TenantContext,
  target: GatewayTarget,
  headers: Headers,
  defer: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const slot = await runtime.openGatewaySocket(tenant);
  if (!slot.ok) {
    throw new ApiError("connection_limit", "Too many connections for this tenant.", { retryAfterMs: 1000, limit: slot.limit });
  }
  const release = () => {
    const closing = runtime.closeGatewaySocket(tenant.id, slot.socketId).catch(() => {});
    try {
      defer(closing);
    } catch {
      // Long after the upgrade the request's context may refuse waitUntil; the call is on its way anyway.
    }
  };

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), target.timeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(target.url, { method: "GET", headers, signal: abort.signal });
  } catch {
    release();
    if (abort.signal.aborted) throw new ApiError("gateway_timeout", `The origin sent no response within ${target.timeoutMs} ms.`);
    throw new ApiError("bad_gateway", "The origin could not be reached.");
  } finally {
    clearTimeout(timer);
  }
  const origin = upstream.webSocket;
  if (upstream.status !== 101 || !origin) {
    // The origin declined the upgrade: its answer goes back as it is.
    release();
    return new Response(upstream.body, { status: upstream.status, headers: forwardableResponseHeaders(upstream.headers) });
  }

  const { 0: client, 1: server } = new WebSocketPair();
  // Binary frames as ArrayBuffers, which send() takes as they are (a Blob would need an await).
  server.binaryType = "arraybuffer";
  origin.binaryType = "arraybuffer";
  server.accept();
  origin.accept();
  const renew = setInterval(() => void runtime.renewGatewaySocket(slot.socketId).catch(() => {}), GATEWAY_SOCKET_TTL_MS / 3);
  let closed = false;
  const closeBoth = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    clearInterval(renew);
    release();
    for (const socket of [server, origin]) {
      try {
        socket.close(closeCode(code), reason);
      } catch {
        // already closed
      }
    }
  };
  server.addEventListener("message", (event) => relay(origin, event.data, closeBoth));
  origin.addEventListener("message", (event) => relay(server, event.data, closeBoth));
  server.addEventListener("close", (event) => closeBoth(event.code, event.reason));
  origin.addEventListener("close", (event) => closeBoth(event.code, event.reason));
  server.addEventListener("error", () => closeBoth(1011, "client socket error"));
  origin.addEventListener("error", () => closeBoth(1011, "origin socket error"));

  const responseHeaders = forwardableResponseHeaders(upstream.headers);
  // The handshake with the client is workerd's own (its own accept key); only the subprotocol carries over.
  responseHeaders.delete("Sec-WebSocket-Accept");
  responseHeaders.delete("Sec-WebSocket-Extensions");
  return new Response(null, { status: 101, headers: responseHeaders, webSocket: client });
}

function relay(to: WebSocket, data: string | ArrayBuffer, closeBoth: (code: number, reason: string) => void): void {
  try {
    to.send(data);
  } catch {
    closeBoth(1011, "relay failed");
  }
}
