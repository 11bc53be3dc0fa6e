// Parent side of the benchmark stack: forks bench/lib/stack-host.ts (which calls startLocalStack
// with bench/wrangler.bench.toml in a fresh temporary state folder; scripts/stack/forked-host.ts).
import { forkStackHost } from "../../scripts/stack/forked-host.ts";
import { freePort } from "../../scripts/stack/ports.ts";
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

interface Ready {
  baseUrl: string;
  adminToken: string;
  upstash: { url: string; token: string };
}

/** `network`: the network model's name or spec (scripts/stack/network-model.ts); default loopback. */
export async function startBenchStack(log: (line: string) => void, network = "loopback"): Promise<BenchStack> {
  const apartPort = process.env.BENCH_NOISY_FLOOD === "apart" ? await freePort() : undefined;
  const host = await forkStackHost<Ready>({
    script: "bench/lib/stack-host.ts",
    statePrefix: "tenantry-bench-",
    env: async (stateDir) => ({
      BENCH_PORT: String(await freePort()),
      BENCH_STATE_DIR: stateDir,
      TENANTRY_NETWORK: network,
      ...(apartPort ? { WORKER_COPY_APART_PORT: String(apartPort) } : {}),
    }),
    log,
  });
  return {
    baseUrl: host.ready.baseUrl,
    ...(apartPort ? { apartUrl: `http://127.0.0.1:${apartPort}` } : {}),
    network,
    adminToken: host.ready.adminToken,
    upstash: host.ready.upstash,
    pid: host.pid,
    stop: host.stop,
    setVars: async (vars) => {
      await host.ask({ cmd: "vars", vars });
    },
    stats: async () => {
      const reply = await host.ask({ cmd: "stats" });
      if (!reply.stats) throw new Error("reading the stack's counters failed: no counters in the answer");
      return reply.stats as StackStats;
    },
  };
}
