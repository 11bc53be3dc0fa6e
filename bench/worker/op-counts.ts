// BENCHMARK-ONLY: what the Worker does per request, counted where Cloudflare bills it, so the
// capacity model (scripts/capacity/) prices measured counts. bench-worker.ts counts invocations,
// hands the app an env whose runtime-object namespace and queues count their calls, and exports
// the runtime object as a subclass that counts alarms, WebSocket messages and SQLite rows.
// GET /bench/counts answers the counters (and counts nothing itself). Upstash commands and Postgres
// statements are counted by the local bridges instead (scripts/stack/pg-wire-stats.ts).
// Workerd runs the Worker and its Durable Objects in one isolate locally, so one set of counters
// sees both; production does not need any of this.
import { TenantRuntime } from "../../workers/edge.ts";

export interface WorkerCounts {
  /** Worker invocations by handler. */
  fetch: number;
  queueBatches: number;
  queueMessagesReceived: number;
  scheduled: number;
  /** Runtime-object RPC and fetch calls made by the Worker, and their wall time as the caller saw it. */
  doCalls: number;
  doCallWallMs: number;
  doCallsByMethod: Record<string, number>;
  /** Invocations the runtime object gets without a caller: alarms and incoming WebSocket messages. */
  doAlarms: number;
  doAlarmWallMs: number;
  doWebSocketMessages: number;
  doWebSocketWallMs: number;
  /** SQLite rows the runtime object read and wrote (its storage is billed by rows). */
  doRowsRead: number;
  doRowsWritten: number;
  /** Messages put on queues (send counts one, sendBatch its length). */
  queueMessagesSent: number;
}

const counts: WorkerCounts = {
  fetch: 0,
  queueBatches: 0,
  queueMessagesReceived: 0,
  scheduled: 0,
  doCalls: 0,
  doCallWallMs: 0,
  doCallsByMethod: {},
  doAlarms: 0,
  doAlarmWallMs: 0,
  doWebSocketMessages: 0,
  doWebSocketWallMs: 0,
  doRowsRead: 0,
  doRowsWritten: 0,
  queueMessagesSent: 0,
};

export const COUNTS_PATH = "/bench/counts";

/**
 * Counting is on only while the counts scenario runs (POST /bench/counts?on=1 … ?on=0): the
 * proxies it takes cost CPU on the full pipeline's path alone, which the other scenarios compare
 * against paths that make no runtime-object call.
 */
let counting = false;

export function switchCounting(request: Request): Response {
  counting = new URL(request.url).searchParams.get("on") === "1";
  return Response.json({ counting });
}

export function countInvocation(kind: "fetch" | "scheduled"): void {
  counts[kind] += 1;
}

export function countQueueBatch(messages: number): void {
  counts.queueBatches += 1;
  counts.queueMessagesReceived += messages;
}

export function countsResponse(): Response {
  foldCursors(0);
  return Response.json({ ...counts, doCallsByMethod: { ...counts.doCallsByMethod } });
}

/** Times `work` into one of the wall-time counters, also when it throws. */
async function timed<T>(add: (ms: number) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    add(performance.now() - started);
  }
}

function countingStub<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function" || typeof property !== "string" || property === "then") return value;
      return (...args: unknown[]) => {
        counts.doCalls += 1;
        counts.doCallsByMethod[property] = (counts.doCallsByMethod[property] ?? 0) + 1;
        // Reflect.apply, not value.apply: on an RPC stub, `.apply` would itself be a remote call.
        return timed((ms) => (counts.doCallWallMs += ms), async () => await Reflect.apply(value as (...a: unknown[]) => unknown, target, args));
      };
    },
  });
}

function countingNamespace<T extends object>(namespace: T): T {
  return new Proxy(namespace, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function") return value;
      if (property === "get" || property === "getByName") return (...args: unknown[]) => countingStub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function countingQueue<T extends object>(queue: T): T {
  return new Proxy(queue, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (property === "send") counts.queueMessagesSent += 1;
        if (property === "sendBatch") counts.queueMessagesSent += (args[0] as unknown[]).length;
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

const countedEnvs = new WeakMap<Env, Env>();

/** The same bindings, the runtime-object namespace and the queues counting their calls. */
export function countingEnv(env: Env): Env {
  if (!counting) return env;
  let counted = countedEnvs.get(env);
  if (!counted) {
    const wrapped = new Map<PropertyKey, unknown>();
    counted = new Proxy(env, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (value === null || typeof value !== "object") return value;
        if (!wrapped.has(property)) {
          const binding = value as Record<string, unknown>;
          if (typeof binding.idFromName === "function") wrapped.set(property, countingNamespace(binding));
          else if (typeof binding.sendBatch === "function") wrapped.set(property, countingQueue(binding));
          else wrapped.set(property, value);
        }
        return wrapped.get(property);
      },
    });
    countedEnvs.set(env, counted);
  }
  return counted;
}

/** SQLite cursors whose rows are not counted yet: a cursor's counts are final once it is consumed. */
let cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];

function foldCursors(keep: number): void {
  const done = cursors.length - keep;
  if (done <= 0) return;
  for (const cursor of cursors.slice(0, done)) {
    counts.doRowsRead += cursor.rowsRead;
    counts.doRowsWritten += cursor.rowsWritten;
  }
  cursors = cursors.slice(done);
}

function countingSql(ctx: DurableObjectState): DurableObjectState {
  const sql = ctx.storage.sql;
  const exec = sql.exec.bind(sql);
  sql.exec = ((query: string, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings);
    if (!counting) return cursor;
    cursors.push(cursor);
    // Everything older than the last few is long consumed (the SQL API is synchronous).
    if (cursors.length > 5000) foldCursors(100);
    return cursor;
  }) as typeof sql.exec;
  return ctx;
}

/** The runtime object, counting what is billed without a caller in the Worker. */
export class CountedTenantRuntime extends TenantRuntime {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingSql(ctx), env);
  }

  override async alarm(): Promise<void> {
    counts.doAlarms += 1;
    await timed((ms) => (counts.doAlarmWallMs += ms), () => super.alarm());
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    counts.doWebSocketMessages += 1;
    await timed((ms) => (counts.doWebSocketWallMs += ms), () => super.webSocketMessage(ws, message));
  }
}
