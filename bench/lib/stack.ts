// Parent side of the benchmark stack: forks bench/lib/stack-host.ts (which calls startLocalStack
// with bench/wrangler.bench.toml in a fresh temporary state folder) and stops it by its pid.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/stack/ports.ts";
import { PROJECT_ROOT } from "../../scripts/stack/local-stack.ts";
import type { PgWireStats } from "../../scripts/stack/pg-wire-stats.ts";

/** The local bridges' counters since the stack started: what Upstash and Postgres were asked for. */
export interface StackStats {
  upstash: { requests: number; commands: number };
  postgres: PgWireStats;
}

export interface BenchStack {
  baseUrl: string;
  /** The network model the stack runs under (loopback, edge, or a spec). */
  network: string;
  adminToken: string;
  /** The Upstash REST endpoint the Worker uses (the local bridge in front of Redis). */
  upstash: { url: string; token: string };
  /**
   * BENCH_NOISY_FLOOD=apart only: a second copy of the Worker in the same workerd, in isolates of its
   * own, with the same bindings and the same runtime objects (scripts/stack/worker-host.ts).
   */
  apartUrl?: string;
  /** Pid of the host process that owns PostgreSQL, Redis, the bridges and the Worker. */
  pid: number;
  /** Rewrites Worker variables (null removes one) and restarts the Worker; data is kept. */
  setVars(vars: Record<string, string | null>): Promise<void>;
  /** The bridges' counters (bench/scenarios/counts.ts takes differences of two). */
  stats(): Promise<StackStats>;
  /** Stops everything the host started (idempotent), then removes the state folder. */
  stop(): Promise<void>;
}

type HostMessage =
  | { type: "ready"; baseUrl: string; adminToken: string; upstash: { url: string; token: string } }
  | { type: "failed"; error: string }
  | { type: "log"; line: string }
  | { type: "reply"; id: number; ok: boolean; error?: string; stats?: StackStats };

const START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 30_000;

/** `network`: the network model's name or spec (scripts/stack/network-model.ts); default loopback. */
export async function startBenchStack(log: (line: string) => void, network = "loopback"): Promise<BenchStack> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "tenantry-bench-"));
  const apartPort = process.env.BENCH_NOISY_FLOOD === "apart" ? await freePort() : undefined;
  const child: ChildProcess = fork(path.join(PROJECT_ROOT, "bench/lib/stack-host.ts"), [], {
    cwd: PROJECT_ROOT,
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      BENCH_PORT: String(await freePort()),
      BENCH_STATE_DIR: stateDir,
      TENANTRY_NETWORK: network,
      ...(apartPort ? { WORKER_COPY_APART_PORT: String(apartPort) } : {}),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const replies = new Map<number, (message: Extract<HostMessage, { type: "reply" }>) => void>();
  let nextId = 1;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (!hasExited && child.pid !== undefined) {
        process.kill(child.pid, "SIGTERM");
        const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
        if (timedOut && !hasExited) {
          process.kill(child.pid, "SIGKILL");
          await exited;
        }
      }
      await rm(stateDir, { recursive: true, force: true }).catch(() => {});
    })());

  try {
    const ready = await new Promise<{ baseUrl: string; adminToken: string; upstash: { url: string; token: string } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on("message", (message: HostMessage) => {
        if (message.type === "log") log(message.line);
        else if (message.type === "ready") {
          clearTimeout(timer);
          resolve(message);
        } else if (message.type === "failed") {
          clearTimeout(timer);
          reject(new Error(`the stack failed to start: ${message.error}`));
        } else if (message.type === "reply") replies.get(message.id)?.(message);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error("the stack host exited during start-up"));
      });
    });
    return {
      baseUrl: ready.baseUrl,
      ...(apartPort ? { apartUrl: `http://127.0.0.1:${apartPort}` } : {}),
      network,
      adminToken: ready.adminToken,
      upstash: ready.upstash,
      pid: child.pid!,
      stop,
      setVars: (vars) =>
        new Promise<void>((resolve, reject) => {
          const id = nextId++;
          replies.set(id, (reply) => {
            replies.delete(id);
            if (reply.ok) resolve();
            else reject(new Error(`restarting the Worker failed: ${reply.error}`));
          });
          child.send({ cmd: "vars", id, vars });
        }),
      stats: () =>
        new Promise<StackStats>((resolve, reject) => {
          const id = nextId++;
          replies.set(id, (reply) => {
            replies.delete(id);
            if (reply.ok && reply.stats) resolve(reply.stats);
            else reject(new Error(`reading the stack's counters failed: ${reply.error ?? "no counters in the answer"}`));
          });
          child.send({ cmd: "stats", id });
        }),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
