import type { Scope } from "../core/tenant-context.ts";
import type { TenantContext } from "../core/tenant-context.ts";

/**
 * How the edge hands a WebSocket upgrade to the tenant's runtime object: the request that was
 * authenticated and admitted, plus what the edge established, in internal headers. Only the
 * Worker can reach a Durable Object, so the runtime may trust them.
 */
export interface RealtimeHandoff {
  context: TenantContext;
  actor: string;
  scopes: Scope[];
  requestId: string;
  /** Set when the upgrade used a ticket: the runtime redeems it exactly once. */
  ticket?: { jti: string };
}

const HEADER = "X-Tenantry-Realtime";

export function handoffRequest(original: Request, handoff: RealtimeHandoff): Request {
  const headers = new Headers(original.headers);
  headers.set(HEADER, JSON.stringify(handoff));
  return new Request("https://runtime.internal/realtime", { method: "GET", headers });
}

export function readHandoff(request: Request): RealtimeHandoff | null {
  const value = request.headers.get(HEADER);
  if (!value) return null;
  try {
    return JSON.parse(value) as RealtimeHandoff;
  } catch {
    return null;
  }
}
