import { TenantryError } from "./errors.ts";

/** A change in a subscribed map, made over REST or realtime by anyone of the same tenant. */
export interface ChangeEvent {
  event: "change";
  map: string;
  key: string;
  op: "set" | "delete";
  value: unknown;
  version: number;
}

export interface RealtimeOptions {
  /** A WebSocket constructor where the platform has none (e.g. the `ws` package on Node 18–21). */
  WebSocket?: typeof WebSocket;
  /** Reconnect when the server closes (1012 during a tier move) or the network drops (default true). */
  reconnect?: boolean;
  /** Longest wait between reconnection attempts (default 5000 ms). */
  maxBackoffMs?: number;
}

type Listener<T> = (value: T) => void;
interface Pending {
  resolve: (result: any) => void;
  reject: (error: Error) => void;
}

/** Statuses of the codes a realtime error reply can carry, as the REST API would answer them. */
const STATUS_OF: Record<string, number> = {
  invalid_request: 400,
  forbidden: 403,
  tenant_suspended: 403,
  upgrade_required: 403,
  limit_exceeded: 403,
  not_found: 404,
  version_conflict: 412,
  payload_too_large: 413,
  rate_limited: 429,
  quota_exceeded: 429,
  concurrency_limited: 429,
  tenant_not_ready: 503,
  unavailable: 503,
};

/**
 * One realtime connection. Requests are answered by id; change events go to `onChange` listeners.
 * After a close it was not asked for, it reconnects with a fresh ticket and subscribes again to
 * every map it had. Requests in flight at a close fail with code `connection_closed`.
 */
export class RealtimeClient {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Set<string>();
  private readonly changeListeners = new Set<Listener<ChangeEvent>>();
  private readonly reconnectListeners = new Set<Listener<number>>();
  private closedByUser = false;
  private attempt = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly ticket: () => Promise<string>,
    private readonly options: RealtimeOptions = {},
  ) {}

  /** Connects (the first time, or again after `close`). */
  async open(): Promise<void> {
    this.closedByUser = false;
    const Socket = this.options.WebSocket ?? globalThis.WebSocket;
    if (!Socket) throw new TypeError("No WebSocket here: pass one as options.WebSocket.");
    const url = new URL("/v1/realtime", this.baseUrl.replace(/^http/, "ws"));
    url.searchParams.set("ticket", await this.ticket());
    const socket = new Socket(url.toString());
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new TenantryError({ status: 503, code: "unavailable", detail: "The realtime connection could not be opened." })), { once: true });
    });
    this.socket = socket;
    this.attempt = 0;
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  onChange(listener: Listener<ChangeEvent>): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called with the close code each time the client has reconnected (and subscribed again). */
  onReconnect(listener: Listener<number>): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async subscribe(map: string): Promise<{ map: string }> {
    const result = await this.request<{ map: string }>({ op: "subscribe", map });
    this.subscriptions.add(map);
    return result;
  }

  async unsubscribe(map: string): Promise<{ map: string }> {
    this.subscriptions.delete(map);
    return await this.request({ op: "unsubscribe", map });
  }

  set(map: string, key: string, value: unknown) {
    return this.request<{ map: string; key: string; version: number; updatedAt: string }>({ op: "set", map, key, value });
  }

  get<T = unknown>(map: string, key: string) {
    return this.request<{ map: string; key: string; value: T; version: number; updatedAt: string }>({ op: "get", map, key });
  }

  delete(map: string, key: string) {
    return this.request<{ map: string; key: string }>({ op: "delete", map, key });
  }

  close(): void {
    this.closedByUser = true;
    this.socket?.close(1000, "client closed");
  }

  private request<T>(frame: Record<string, unknown>): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) {
      return Promise.reject(new TenantryError({ status: 503, code: "connection_closed", detail: "The realtime connection is not open." }));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, ...frame }));
    });
  }

  private receive(data: unknown): void {
    let message: any;
    try {
      message = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer));
    } catch {
      return;
    }
    if (message?.event === "change") {
      for (const listener of this.changeListeners) listener(message as ChangeEvent);
      return;
    }
    const pending = typeof message?.id === "number" ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) {
      pending.resolve(message.result);
      return;
    }
    const error = message.error ?? {};
    const code = typeof error.code === "string" ? error.code : "invalid_request";
    pending.reject(new TenantryError({ status: STATUS_OF[code] ?? 400, code, detail: error.message, retryAfterMs: error.retryAfterMs }));
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    for (const [, pending] of this.pending) {
      pending.reject(new TenantryError({ status: 503, code: "connection_closed", detail: `The realtime connection closed (${code}).` }));
    }
    this.pending.clear();
    if (this.closedByUser || this.options.reconnect === false) return;
    void this.reconnect(code);
  }

  private async reconnect(code: number): Promise<void> {
    while (!this.closedByUser) {
      const wait = Math.min(this.options.maxBackoffMs ?? 5000, 100 * 2 ** this.attempt) * (0.5 + Math.random() * 0.5);
      this.attempt += 1;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.closedByUser) return;
      try {
        await this.open();
        for (const map of this.subscriptions) await this.request({ op: "subscribe", map });
        for (const listener of this.reconnectListeners) listener(code);
        return;
      } catch {
        // Not back yet (a ticket refused while the tenant moves, the server restarting): try again.
        this.socket?.close();
        this.socket = undefined;
      }
    }
  }
}
