// Child process that owns the local stack during a soak (started by scripts/soak/stack.ts), in
// its own event loop like bench/lib/stack-host.ts: the Upstash and Neon bridges run in the process
// that starts the stack, and must not queue behind the load generator's own work.
//
// Protocol (IPC): → { type: "ready", baseUrl, adminToken, workerPid } once healthy;
// ← { cmd, id } runs one fault action and answers { type: "reply", id, ok, value?, error? };
// the stack is stopped on SIGTERM, SIGINT and when the parent goes away (IPC disconnect).
import { startLocalStack, type LocalStack } from "../stack/local-stack.ts";
import { processRss, treeRss } from "../../test/support/process-memory.ts";
import { WorkerdInspector } from "../stack/isolate-inspector.ts";
import { workerdAllocatorStats, type AllocatorStats } from "./workerd-malloc.ts";
import { workerdBelow, workerdNative, type WorkerdNative } from "./workerd-native.ts";

export type HostCommand =
  | "postgres/kill"
  | "postgres/start"
  | "pgbouncer/restart"
  | "redis/kill"
  | "redis/start"
  | "worker/restart"
  | "worker/memory";

/** One memory sample of the Worker (bytes); see MemorySample in checks.ts. */
export interface WorkerMemory {
  treeRss: number;
  workerdRss: number;
  workerdRssAfterGc: number;
  liveHeap: number;
  /** The isolates' JS heaps as V8 holds them after that GC (live and free pages). */
  heapTotal: number;
  /** What workerd's memory is made of and holds open, right after that GC (diagnostics). */
  native?: WorkerdNative;
  /** workerd's allocator after that GC: what the program uses vs what tcmalloc keeps (SOAK_MALLOC_STATS=1 only). */
  allocator?: AllocatorStats;
}

const send = (message: unknown) => {
  if (process.connected) process.send?.(message);
};

const port = Number(process.env.SOAK_PORT);
const stateDir = process.env.SOAK_STATE_DIR;
const vars = JSON.parse(process.env.SOAK_WORKER_VARS ?? "{}") as Record<string, string>;
if (!Number.isInteger(port) || !stateDir) {
  console.error("stack-host: SOAK_PORT and SOAK_STATE_DIR are required (started by scripts/soak/stack.ts)");
  process.exit(2);
}

const workerLines: string[] = [];
let stack: LocalStack | undefined;
let stopping: Promise<void> | undefined;

function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    inspector?.close();
    await stack?.stop().catch(() => {});
    process.exit(code);
  })();
  return stopping;
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
process.on("disconnect", () => void stop(0));

async function waitUntil(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function run(command: HostCommand, running: LocalStack): Promise<unknown> {
  switch (command) {
    case "postgres/kill":
      return running.postgres?.kill();
    case "postgres/start":
      return running.postgres?.start();
    case "pgbouncer/restart":
      return running.pgbouncer?.restart();
    case "redis/kill": {
      const redis = running.redis;
      if (!redis?.running) return;
      process.kill(redis.pid, "SIGKILL");
      return waitUntil(() => !redis.running, "redis-server did not exit after SIGKILL");
    }
    case "redis/start":
      return running.redis?.start();
    case "worker/restart":
      return running.restartWorker();
    case "worker/memory":
      return workerMemory(running);
  }
}

// The soak starts workerd with its inspector open (WORKER_INSPECTOR_PORT): a full GC before a
// sample tells memory the isolates retain from garbage V8 has not collected yet.
const inspector = process.env.WORKER_INSPECTOR_PORT ? new WorkerdInspector(Number(process.env.WORKER_INSPECTOR_PORT)) : undefined;

async function workerMemory(running: LocalStack): Promise<WorkerMemory | 0> {
  const worker = running.worker;
  if (worker.hasExited()) return 0;
  const tree = await treeRss(worker.pid);
  const workerdRss = tree - (await processRss(worker.pid));
  if (!inspector) return { treeRss: tree, workerdRss, workerdRssAfterGc: 0, liveHeap: 0, heapTotal: 0 };
  const heap = await inspector.collectAll();
  // V8 hands freed pages back as the collection ends; give the allocator a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const workerdRssAfterGc = (await treeRss(worker.pid)) - (await processRss(worker.pid));
  const workerd = await workerdBelow(worker.pid);
  const native = workerd === undefined ? undefined : await workerdNative(workerd);
  const allocator = workerd !== undefined && process.env.SOAK_MALLOC_STATS === "1" ? await workerdAllocatorStats(workerd) : undefined;
  return { treeRss: tree, workerdRss, workerdRssAfterGc, liveHeap: heap.usedBytes, heapTotal: heap.totalBytes, ...(native ? { native } : {}), ...(allocator ? { allocator } : {}) };
}

process.on("message", (message: { cmd: HostCommand; id: number }) => {
  if (!stack) return send({ type: "reply", id: message.id, ok: false, error: "the stack is not up" });
  run(message.cmd, stack).then(
    (value) => send({ type: "reply", id: message.id, ok: true, value }),
    (error: unknown) => send({ type: "reply", id: message.id, ok: false, error: `${String(error)}\n${workerLines.slice(-20).join("\n")}` }),
  );
});

try {
  stack = await startLocalStack({
    port,
    stateDir,
    requestLog: false,
    // A SIGKILL must not lose acknowledged commits, as it would not on Neon: fsync and synchronous commits on.
    durablePostgres: true,
    vars,
    log: (line) => send({ type: "log", line }),
    workerLog: (line) => {
      if (process.env.SOAK_WORKER_LOG === "1") console.log(`[worker] ${line}`);
      // Errors are what a soak report needs; the rest is noise.
      if (line.includes('"level":"error"')) send({ type: "worker-error", line: line.slice(0, 600) });
      workerLines.push(line);
      if (workerLines.length > 200) workerLines.shift();
    },
  });
  send({ type: "ready", baseUrl: stack.baseUrl, adminToken: stack.adminToken });
} catch (error) {
  send({ type: "failed", error: `${error instanceof Error ? error.message : String(error)}\n${workerLines.slice(-40).join("\n")}` });
  await stop(1);
}
