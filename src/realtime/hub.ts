import type { Scope } from "../core/tenant-context.ts";
import type { UsageDelta } from "../core/usage.ts";
import { changeEvent, parseFrame, replyError, replyOk, type ChangeEvent, type DataFrame, type ErrorBody } from "./protocol.ts";

/** What a socket carries across hibernation (serialised as its attachment). */
export interface SocketState {
  tenantId: string;
  actor: string;
  scopes: Scope[];
  subscriptions: string[];
  connectedAt: number;
  /** Its connection time was counted already (a server-initiated close also fires the close handler). */
  accounted?: boolean;
}

export type OperationOutcome = { ok: true; result: unknown; change?: ChangeEvent } | { ok: false; error: ErrorBody };

export interface HubDependencies {
  /** Runs a get/set/delete for the socket's tenant under the same limits as a request. */
  execute(state: SocketState, frame: DataFrame): Promise<OperationOutcome>;
  /** Holds a (un)subscribe to the same limits as a read request: undefined when admitted. */
  admitRead(state: SocketState): Promise<ErrorBody | undefined>;
  count(tenantId: string, delta: UsageDelta): void;
}

const MAX_SUBSCRIPTIONS = 100;

export const tenantTag = (tenantId: string) => `tenant:${tenantId}`;

/**
 * The realtime side of a runtime object: WebSockets accepted with the hibernation API and tagged
 * by tenant, so an idle connection costs nothing and a wake-up finds every socket and its state.
 */
export class RealtimeHub {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly deps: HubDependencies,
  ) {}

  connections(tenantId: string): number {
    return this.ctx.getWebSockets(tenantTag(tenantId)).length;
  }

  accept(state: Omit<SocketState, "subscriptions" | "connectedAt">): Response {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [tenantTag(state.tenantId)]);
    server.serializeAttachment({ ...state, subscriptions: [], connectedAt: Date.now() } satisfies SocketState);
    this.deps.count(state.tenantId, { connections: this.connections(state.tenantId) });
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const state = ws.deserializeAttachment() as SocketState | null;
    if (!state) return;
    const parsed = parseFrame(data);
    if (!parsed.ok) {
      ws.send(replyError(parsed.id, parsed.error));
      return;
    }
    const frame = parsed.frame;
    if (frame.op === "subscribe" || frame.op === "unsubscribe") {
      const refused = await this.deps.admitRead(state);
      if (refused) {
        ws.send(replyError(frame.id, refused));
        return;
      }
      // Other frames of this socket may have changed its subscriptions meanwhile: read them again.
      const current = ws.deserializeAttachment() as SocketState | null;
      if (!current) return;
      const subscriptions = new Set(current.subscriptions);
      if (frame.op === "subscribe") {
        if (!subscriptions.has(frame.map) && subscriptions.size >= MAX_SUBSCRIPTIONS) {
          ws.send(replyError(frame.id, { code: "limit_exceeded", message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection.` }));
          return;
        }
        subscriptions.add(frame.map);
      } else {
        subscriptions.delete(frame.map);
      }
      ws.serializeAttachment({ ...current, subscriptions: [...subscriptions] } satisfies SocketState);
      ws.send(replyOk(frame.id, { map: frame.map }));
      return;
    }
    const outcome = await this.deps.execute(state, frame);
    if (!outcome.ok) {
      ws.send(replyError(frame.id, outcome.error));
      return;
    }
    ws.send(replyOk(frame.id, outcome.result));
    if (outcome.change) this.publish(state.tenantId, outcome.change);
  }

  closed(ws: WebSocket): void {
    const state = ws.deserializeAttachment() as SocketState | null;
    if (!state || state.accounted) return;
    this.deps.count(state.tenantId, { connectionSeconds: Math.round((Date.now() - state.connectedAt) / 1000) });
    try {
      ws.serializeAttachment({ ...state, accounted: true } satisfies SocketState);
    } catch {
      // the socket is gone; nothing will fire for it again
    }
  }

  /** A change event to every socket of the tenant subscribed to the map (REST and realtime writes). */
  publish(tenantId: string, change: ChangeEvent): number {
    const event = changeEvent(change);
    let delivered = 0;
    for (const ws of this.ctx.getWebSockets(tenantTag(tenantId))) {
      const state = ws.deserializeAttachment() as SocketState | null;
      if (!state || state.tenantId !== tenantId || !state.subscriptions.includes(change.map)) continue;
      try {
        ws.send(event);
        delivered++;
      } catch {
        // A socket closing right now; its close handler accounts for it.
      }
    }
    return delivered;
  }

  /** Closes every socket of the tenant (isolation change, purge), or only those `actor` opened (a revoked key). */
  disconnect(tenantId: string, code: number, reason: string, actor?: string): void {
    for (const ws of this.ctx.getWebSockets(tenantTag(tenantId))) {
      if (actor !== undefined && (ws.deserializeAttachment() as SocketState | null)?.actor !== actor) continue;
      this.closed(ws);
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
    }
  }
}
