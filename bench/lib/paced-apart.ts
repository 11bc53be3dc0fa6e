// Open-loop loads (bench/lib/paced.ts) run by a process of their own: the noisy scenario's flood is
// other clients than the quiet tenants it is measured against, and sharing the quiet tenants' event
// loop and garbage collector would charge the flood's client-side work to their latency (measured:
// the load generator's loop stopped for ~30 ms at the flood's worst moments; docs/BENCHMARKS.md).
import { fork } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/stack/local-stack.ts";
import type { LoadResult } from "./load.ts";
import type { PacedSpec } from "./paced.ts";

const GRACE_MS = 30_000;

/**
 * Runs `specs` in a process of their own. `started` resolves once that process has loaded and its
 * loads have begun (forking and compiling it takes about a second of the machine's CPU, which must
 * not fall into what is measured beside it); `results` when they are done.
 */
export function runPacedApart(baseUrl: string, specs: PacedSpec[]): { started: Promise<void>; results: Promise<LoadResult[]> } {
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const results = runChild(baseUrl, specs, markStarted);
  // A child that fails before starting must not leave `started` waiting forever.
  results.then(markStarted, markStarted);
  return { started, results };
}

async function runChild(baseUrl: string, specs: PacedSpec[], onStarted: () => void): Promise<LoadResult[]> {
  const child = fork(path.join(PROJECT_ROOT, "bench/lib/paced-child.ts"), [], {
    cwd: PROJECT_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const longest = Math.max(...specs.map((spec) => spec.durationS));
  try {
    return await new Promise<LoadResult[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("paced load process did not answer")), longest * 1000 + GRACE_MS);
      child.on("message", (message: { started?: boolean; results?: LoadResult[]; error?: string }) => {
        if (message.started) return onStarted();
        clearTimeout(timer);
        if (message.results) resolve(message.results);
        else reject(new Error(message.error ?? "paced load process failed"));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`paced load process exited (${code}) before answering`));
      });
      child.send({ baseUrl, specs });
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}
