// Parent side of the soak's stack: forks scripts/soak/stack-host.ts (the local stack in a fresh
// temporary state folder; scripts/stack/forked-host.ts) and sends it fault actions.
import { forkStackHost } from "../stack/forked-host.ts";
import { freePort } from "../stack/ports.ts";
import type { HostCommand } from "./stack-host.ts";

export { sleep } from "../stack/forked-host.ts";

export interface SoakStack {
  baseUrl: string;
  adminToken: string;
  /** Runs one action in the host (a fault, or reading workerd's memory) and waits for it. */
  control<T = unknown>(command: HostCommand): Promise<T>;
  /** Error lines the Worker logged (bounded). */
  workerErrors: string[];
  stop(): Promise<void>;
}

const CONTROL_TIMEOUT_MS = 120_000;
const MAX_WORKER_ERRORS = 500;

export async function startSoakStack(log: (line: string) => void, vars: Record<string, string>): Promise<SoakStack> {
  const workerErrors: string[] = [];
  const host = await forkStackHost<{ baseUrl: string; adminToken: string }>({
    script: "scripts/soak/stack-host.ts",
    statePrefix: "tenantry-soak-",
    env: async (stateDir) => ({
      SOAK_PORT: String(await freePort()),
      SOAK_STATE_DIR: stateDir,
      SOAK_WORKER_VARS: JSON.stringify(vars),
      // workerd's inspector (127.0.0.1 only): the memory samples collect garbage before reading RSS.
      WORKER_INSPECTOR_PORT: process.env.WORKER_INSPECTOR_PORT ?? String(await freePort()),
    }),
    log,
    onMessage: (message) => {
      if (message.type === "worker-error" && workerErrors.length < MAX_WORKER_ERRORS) workerErrors.push(String(message.line));
    },
  });
  return {
    baseUrl: host.ready.baseUrl,
    adminToken: host.ready.adminToken,
    workerErrors,
    stop: host.stop,
    control: async <T>(command: HostCommand) => (await host.ask({ cmd: command }, CONTROL_TIMEOUT_MS)).value as T,
  };
}
