// The DevTools (Chrome DevTools Protocol) endpoint of the local workerd's isolates, opened when the
// Worker's host runs with WORKER_INSPECTOR_PORT (scripts/stack/worker-host.ts). Local diagnostics
// only: heap usage, a full garbage collection, heap snapshots. workerd runs the Worker's isolate
// (`core:user:tenantry`, Durable Objects included) and Miniflare's own (entry, queues, cache…).
import WebSocket from "ws";

export interface HeapUsage {
  usedBytes: number;
  totalBytes: number;
}

export class IsolateSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  private chunks: string[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const message = JSON.parse(String(data));
      if (message.method === "HeapProfiler.addHeapSnapshotChunk") this.chunks.push(message.params.chunk);
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
      else waiter.resolve(message.result);
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error("inspector session closed"));
      this.pending.clear();
    });
  }

  static async open(url: string, timeoutMs = 5000): Promise<IsolateSession> {
    // Miniflare's target ids may hold a '#', which a URL would take for a fragment.
    const ws = new WebSocket(url.replaceAll("#", "%23"), { handshakeTimeout: timeoutMs });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    return new IsolateSession(ws);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(method: string, params: object = {}, timeoutMs = 30_000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async heapUsage(): Promise<HeapUsage> {
    const usage = await this.send("Runtime.getHeapUsage", {}, 5000);
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
  }

  /** A full (major) garbage collection of this isolate (answered only while the isolate runs: see collectAll). */
  collectGarbage(timeoutMs = 30_000): Promise<unknown> {
    return this.send("HeapProfiler.collectGarbage", {}, timeoutMs);
  }

  /** A heap snapshot (.heapsnapshot JSON, for Chrome DevTools' Memory tab). */
  async snapshot(): Promise<string> {
    this.chunks = [];
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 120_000);
    const text = this.chunks.join("");
    this.chunks = [];
    return text;
  }

  close(): void {
    this.ws.close();
  }
}

/** Sessions on every isolate of one workerd, kept open and re-opened after a restart. */
export class WorkerdInspector {
  private readonly sessions = new Map<string, IsolateSession>();

  constructor(readonly port: number) {}

  /** Sessions on every isolate that accepts one (some of Miniflare's internal workers do not). */
  async isolates(): Promise<Map<string, IsolateSession>> {
    const response = await fetch(`http://127.0.0.1:${this.port}/json`, { signal: AbortSignal.timeout(5000) });
    const targets = (await response.json()) as Array<{ id: string; webSocketDebuggerUrl: string }>;
    const live = new Map<string, IsolateSession>();
    for (const target of targets) {
      let session = this.sessions.get(target.id);
      if (!session?.open) session = await IsolateSession.open(target.webSocketDebuggerUrl).catch(() => undefined);
      if (!session) continue;
      this.sessions.set(target.id, session);
      live.set(target.id, session);
    }
    return live;
  }

  /**
   * A full GC in every isolate that is running, then the heaps of all: what they retain, without
   * garbage not collected yet. workerd answers inspector commands that need the isolate only while
   * it runs (an idle isolate's answer waits for its next event), so each collection gets
   * `timeoutMs`; the idle ones (Miniflare's queue and cache workers under a soak, a few MiB) are
   * counted as they are.
   */
  async collectAll(timeoutMs = 3000): Promise<{ usedBytes: number; totalBytes: number; collected: number }> {
    const sessions = [...(await this.isolates()).values()];
    const results = await Promise.allSettled(sessions.map((session) => session.send("HeapProfiler.collectGarbage", {}, timeoutMs)));
    let usedBytes = 0;
    let totalBytes = 0;
    for (const session of sessions) {
      const usage = await session.heapUsage();
      usedBytes += usage.usedBytes;
      totalBytes += usage.totalBytes;
    }
    return { usedBytes, totalBytes, collected: results.filter((result) => result.status === "fulfilled").length };
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}
