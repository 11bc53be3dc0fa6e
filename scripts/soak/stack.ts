// Parent side of the soak's stack: forks scripts/soak/stack-host.ts (the local stack in a fresh
// temporary state folder), sends it fault actions, and stops it by its pid.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../stack/ports.ts";
import { PROJECT_ROOT } from "../stack/local-stack.ts";
import type { HostCommand } from "./stack-host.ts";

export interface SoakStack {
  baseUrl: string;
  adminToken: string;
  /** Runs one action in the host (a fault, or reading workerd's memory) and waits for it. */
  control<T = unknown>(command: HostCommand): Promise<T>;
  /** Error lines the Worker logged (bounded). */
  workerErrors: string[];
  stop(): Promise<void>;
}

type HostMessage =
  | { type: "ready"; baseUrl: string; adminToken: string }
  | { type: "failed"; error: string }
  | { type: "log"; line: string }
  | { type: "worker-error"; line: string }
  | { type: "reply"; id: number; ok: boolean; value?: unknown; error?: string };

const START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 30_000;
const CONTROL_TIMEOUT_MS = 120_000;
const MAX_WORKER_ERRORS = 500;

export async function startSoakStack(log: (line: string) => void, vars: Record<string, string>): Promise<SoakStack> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "tenantry-soak-"));
  const child: ChildProcess = fork(path.join(PROJECT_ROOT, "scripts/soak/stack-host.ts"), [], {
    cwd: PROJECT_ROOT,
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      SOAK_PORT: String(await freePort()),
      SOAK_STATE_DIR: stateDir,
      SOAK_WORKER_VARS: JSON.stringify(vars),
      // workerd's inspector (127.0.0.1 only): the memory samples collect garbage before reading RSS.
      WORKER_INSPECTOR_PORT: process.env.WORKER_INSPECTOR_PORT ?? String(await freePort()),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let hasExited = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => (hasExited = true));

  const replies = new Map<number, (message: Extract<HostMessage, { type: "reply" }>) => void>();
  const workerErrors: string[] = [];
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
    const ready = await new Promise<{ baseUrl: string; adminToken: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on("message", (message: HostMessage) => {
        if (message.type === "log") log(message.line);
        else if (message.type === "worker-error") {
          if (workerErrors.length < MAX_WORKER_ERRORS) workerErrors.push(message.line);
        } else if (message.type === "ready") {
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
      adminToken: ready.adminToken,
      workerErrors,
      stop,
      control: <T>(command: HostCommand) =>
        new Promise<T>((resolve, reject) => {
          const id = nextId++;
          const timer = setTimeout(() => {
            replies.delete(id);
            reject(new Error(`${command} did not finish within ${CONTROL_TIMEOUT_MS / 1000} s`));
          }, CONTROL_TIMEOUT_MS);
          replies.set(id, (reply) => {
            clearTimeout(timer);
            replies.delete(id);
            if (reply.ok) resolve(reply.value as T);
            else reject(new Error(`${command} failed: ${reply.error}`));
          });
          child.send({ cmd: command, id });
        }),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
