// Child process that owns the local stack during a benchmark run (started by bench/lib/stack.ts).
// Why a separate process: startLocalStack runs the Upstash REST bridge and the Neon WebSocket
// bridge inside the Node process that calls it. Sharing that event loop with the load generator
// would delay every Redis and Postgres round trip of the Worker behind autocannon's own work,
// which no deployment has. Here they get their own event loop, as PostgreSQL, Redis and workerd do.
//
// The Worker runs from a bundle made once at start (scripts/stack/worker-host.ts), and restarts
// reuse it: other engineers edit the tree while benchmarks run, and one run measures one version
// of the code.
//
// Protocol (IPC): → { type: "ready", baseUrl, adminToken } once healthy; ← { cmd: "vars", id, vars }
// rewrites the Worker's variables and restarts it (data stays); ← { cmd: "stats", id } answers the
// bridges' counters (Upstash requests and commands, Postgres statements and transactions) since start;
// ← { cmd: "stop" } stops everything.
// The stack is stopped on stop, SIGTERM, SIGINT and when the parent goes away (IPC disconnect).
import path from "node:path";
import { PROJECT_ROOT, startLocalStack, type LocalStack } from "../../scripts/stack/local-stack.ts";
import { parseNetworkModel } from "../../scripts/stack/network-model.ts";

type HostRequest = { cmd: "vars"; id: number; vars: Record<string, string | null> } | { cmd: "stats"; id: number } | { cmd: "stop" };

const send = (message: unknown) => {
  if (process.connected) process.send?.(message);
};

const port = Number(process.env.BENCH_PORT);
const stateDir = process.env.BENCH_STATE_DIR;
const config = process.env.BENCH_WRANGLER_CONFIG ?? path.join(PROJECT_ROOT, "bench/wrangler.bench.toml");
if (!Number.isInteger(port) || !stateDir) {
  console.error("stack-host: BENCH_PORT and BENCH_STATE_DIR are required (started by bench/lib/stack.ts)");
  process.exit(2);
}

const workerLines: string[] = [];
let stack: LocalStack | undefined;
let stopping: Promise<void> | undefined;
let restarting = false;

function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    await stack?.stop().catch(() => {});
    process.exit(code);
  })();
  return stopping;
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
process.on("disconnect", () => void stop(0));

async function setVars(vars: Record<string, string | null>): Promise<void> {
  if (!stack) throw new Error("the stack is not up");
  restarting = true;
  try {
    await stack.restartWorker(vars);
  } finally {
    restarting = false;
  }
  watchWorker(stack);
}

function watchWorker(running: LocalStack): void {
  const worker = running.worker;
  void worker.exited.then(() => {
    if (!stopping && !restarting) send({ type: "log", line: `the Worker exited unexpectedly:\n${workerLines.slice(-40).join("\n")}` });
  });
}

process.on("message", (message: HostRequest) => {
  if (message.cmd === "stop") void stop(0);
  else if (message.cmd === "stats") {
    const upstash = stack?.upstashBridge?.stats;
    const postgres = stack?.neonBridge?.stats;
    if (!upstash || !postgres) send({ type: "reply", id: message.id, ok: false, error: "the stack runs no local Upstash or Neon bridge" });
    else send({ type: "reply", id: message.id, ok: true, stats: { upstash: { ...upstash }, postgres: { ...postgres } } });
  }
  else if (message.cmd === "vars") {
    setVars(message.vars).then(
      () => send({ type: "reply", id: message.id, ok: true }),
      (error: unknown) => send({ type: "reply", id: message.id, ok: false, error: `${String(error)}\n${workerLines.slice(-40).join("\n")}` }),
    );
  }
});

try {
  stack = await startLocalStack({
    port,
    stateDir,
    config,
    requestLog: false,
    network: parseNetworkModel(process.env.TENANTRY_NETWORK),
    log: (line) => send({ type: "log", line }),
    workerLog: (line) => {
      if (process.env.BENCH_WORKER_LOG === "1") console.log(`[worker] ${line}`);
      workerLines.push(line);
      if (workerLines.length > 200) workerLines.shift();
    },
  });
  send({ type: "ready", baseUrl: stack.baseUrl, adminToken: stack.adminToken, upstash: stack.upstash });
  watchWorker(stack);
} catch (error) {
  send({ type: "failed", error: `${error instanceof Error ? error.message : String(error)}\n${workerLines.slice(-40).join("\n")}` });
  await stop(1);
}
