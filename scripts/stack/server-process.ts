import { spawn } from "node:child_process";

/** A long-running server we spawned ourselves and therefore stop by its pid. */
export interface ServerProcess {
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** The last lines the process printed, for error messages. */
  recentOutput(): string;
}

export interface SpawnServerOptions {
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  /** Working directory; default "/" (always accessible, also for an unprivileged uid). */
  cwd?: string;
  /** Environment; default: inherit ours. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Sent if our own Node process exits while the server still runs, so nothing is left behind. */
  emergencySignal: NodeJS.Signals;
}

const RECENT_LINES = 40;
const liveServers = new Map<number, NodeJS.Signals>();
let exitHookInstalled = false;

export async function spawnServer(opts: SpawnServerOptions): Promise<ServerProcess> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd ?? "/",
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.env === undefined ? {} : { env: opts.env }),
    ...(opts.uid === undefined ? {} : { uid: opts.uid }),
    ...(opts.gid === undefined ? {} : { gid: opts.gid }),
  });
  const recent: string[] = [];
  const onLine = (line: string): void => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    opts.log?.(line);
  };
  forwardLines(child.stdout, onLine);
  forwardLines(child.stderr, onLine);

  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      if (child.pid !== undefined) liveServers.delete(child.pid);
      resolve();
    });
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid ?? 0));
    child.once("error", reject);
  });
  liveServers.set(pid, opts.emergencySignal);
  installExitHook();
  return {
    pid,
    exited: exitedPromise,
    hasExited: () => exited,
    recentOutput: () => recent.join("\n"),
  };
}

/** Sends `signal`, waits for exit, and escalates to SIGKILL after `graceMs`. */
export async function stopServer(server: ServerProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (server.hasExited()) return;
  sendSignal(server.pid, signal);
  const timedOut = await Promise.race([
    server.exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
  ]);
  if (timedOut) {
    sendSignal(server.pid, "SIGKILL");
    await server.exited;
  }
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const [pid, signal] of liveServers) sendSignal(pid, signal);
  });
}
