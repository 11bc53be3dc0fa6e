import WebSocket from "ws";
import { baseUrl } from "./api.ts";

export interface RealtimeClient {
  ws: WebSocket;
  /** Sends a frame (object → JSON, string → as is). */
  send(frame: unknown): void;
  /** The next received message matching `match` (bounded wait). */
  next(match?: (message: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Sends a frame with an id and waits for the reply to it. */
  request(frame: Record<string, unknown>): Promise<any>;
  /** Messages received so far and not yet consumed by next(). */
  received: any[];
  close(): Promise<void>;
}

let nextId = 1;

export function realtimeUrl(query = ""): string {
  return `${baseUrl().replace(/^http/, "ws")}/v1/realtime${query}`;
}

/** Opens the realtime WebSocket; rejects with the HTTP status and body when the upgrade is refused. */
export function connect(options: { token?: string; ticket?: string; headers?: Record<string, string> } = {}): Promise<RealtimeClient> {
  const query = options.ticket !== undefined ? `?ticket=${encodeURIComponent(options.ticket)}` : "";
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const ws = new WebSocket(realtimeUrl(query), { headers });
  const received: any[] = [];
  const waiters: Array<{ match: (m: any) => boolean; resolve: (m: any) => void }> = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString());
    const index = waiters.findIndex((w) => w.match(message));
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else received.push(message);
  });
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: body ? JSON.parse(body) : undefined })));
    });
    ws.once("error", reject);
    ws.once("open", () => {
      const client: RealtimeClient = {
        ws,
        received,
        send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
        next: (match = () => true, timeoutMs = 5000) => {
          const index = received.findIndex(match);
          if (index >= 0) return Promise.resolve(received.splice(index, 1)[0]);
          return new Promise((resolveNext, rejectNext) => {
            const waiter = { match, resolve: (m: any) => (clearTimeout(timer), resolveNext(m)) };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rejectNext(new Error(`no matching message within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        request: (frame) => {
          const id = nextId++;
          ws.send(JSON.stringify({ id, ...frame }));
          return client.next((m) => m.id === id);
        },
        close: () =>
          new Promise<void>((resolveClose) => {
            if (ws.readyState === WebSocket.CLOSED) return resolveClose();
            ws.once("close", () => resolveClose());
            ws.close();
          }),
      };
      resolve(client);
    });
  });
}
