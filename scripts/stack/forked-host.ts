// Parent side of a local stack run in a child process of its own (bench/lib/stack-host.ts,
// scripts/soak/stack-host.ts): forks the host with a fresh temporary state folder, waits for its
// "ready", asks it things by id, and stops it by its pid. The host speaks these messages over IPC:
// `ready` (with what it started), `failed`, `log`, `reply` (to an asked id); others go to `onMessage`.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "./local-stack.ts";

export interface HostReply {
  id: number;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

type HostMessage =
  | ({ type: "ready" } & Record<string, unknown>)
  | { type: "failed"; error: string }
  | { type: "log"; line: string }
  | ({ type: "reply" } & HostReply)
  | { type: string; [field: string]: unknown };

export interface ForkedHostOptions {
  /** The host's script, from the project's root. */
  script: string;
  /** Its state folder's name starts with this (in the system's temp folder). */
  statePrefix: string;
  /** The host's environment beyond this process's own, given its state folder. */
  env(stateDir: string): Promise<Record<string, string>>;
  log(line: string): void;
  /** Messages of the host's own kinds (not ready, failed, log or reply). */
  onMessage?(message: { type: string; [field: string]: unknown }): void;
}

export interface ForkedHost<Ready> {
  /** What the host's `ready` message carried. */
  ready: Ready;
  pid: number;
  /** Sends `{ ...command, id }` and waits for its reply; rejects on a reply that is not ok, or after `timeoutMs`. */
  ask(command: Record<string, unknown>, timeoutMs?: number): Promise<HostReply>;
  /** Stops everything the host started (idempotent), then removes the state folder. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 30_000;

export async function forkStackHost<Ready>(options: ForkedHostOptions): Promise<ForkedHost<Ready>> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), options.statePrefix));
  const child: ChildProcess = fork(path.join(PROJECT_ROOT, options.script), [], {
    cwd: PROJECT_ROOT,
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...(await options.env(stateDir)) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let hasExited = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => (hasExited = true));

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

  const replies = new Map<number, (reply: HostReply) => void>();
  let nextId = 1;
  const ask = (command: Record<string, unknown>, timeoutMs?: number) =>
    new Promise<HostReply>((resolve, reject) => {
      const id = nextId++;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              replies.delete(id);
              reject(new Error(`${String(command.cmd)} did not finish within ${timeoutMs / 1000} s`));
            }, timeoutMs);
      replies.set(id, (reply) => {
        clearTimeout(timer);
        replies.delete(id);
        if (reply.ok) resolve(reply);
        else reject(new Error(`${String(command.cmd)} failed: ${reply.error}`));
      });
      child.send({ ...command, id });
    });

  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      child.on("message", (message: HostMessage) => {
        if (message.type === "log") options.log((message as { line: string }).line);
        else if (message.type === "ready") {
          clearTimeout(timer);
          resolve(message as Ready);
        } else if (message.type === "failed") {
          clearTimeout(timer);
          reject(new Error(`the stack failed to start: ${(message as { error: string }).error}`));
        } else if (message.type === "reply") replies.get((message as HostReply).id)?.(message as HostReply);
        else options.onMessage?.(message);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error("the stack host exited during start-up"));
      });
    });
    return { ready, pid: child.pid!, ask, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
