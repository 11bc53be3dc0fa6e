import { spawn } from "node:child_process";

/** A long-running server we spawned ourselves and therefore stop by its pid. */
export interface ServerProcess {
  readonly pid: number;
  /** What signals go to: the pid, or minus it for a server run in its own process group. */
  readonly signalTarget: number;
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
  /**
   * Run it in a process group of its own and signal the whole group: for a server that starts
   * processes of its own (the Worker's host starts workerd), so a kill leaves none of them behind.
   */
  processGroup?: boolean;
}

const RECENT_LINES = 40;
/** Pid (negative: a process group) → the signal to send if our own process exits first. */
const liveServers = new Map<number, NodeJS.Signals>();
let exitHookInstalled = false;

export async function spawnServer(opts: SpawnServerOptions): Promise<ServerProcess> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd ?? "/",
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.processGroup === true,
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
  let target = 0;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      liveServers.delete(target);
      resolve();
    });
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid ?? 0));
    child.once("error", reject);
  });
  target = opts.processGroup ? -pid : pid;
  if (!exited) liveServers.set(target, opts.emergencySignal);
  installExitHook();
  return {
    pid,
    signalTarget: target,
    exited: exitedPromise,
    hasExited: () => exited,
    recentOutput: () => recent.join("\n"),
  };
}

/** Sends `signal`, waits for exit, and escalates to SIGKILL after `graceMs`. */
export async function stopServer(server: ServerProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (server.hasExited()) return;
  sendSignal(server.signalTarget, signal);
  const timedOut = await Promise.race([
    server.exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
  ]);
  if (timedOut) {
    sendSignal(server.signalTarget, "SIGKILL");
    await server.exited;
  } else if (server.signalTarget < 0) {
    // The group's leader is gone; anything it left behind goes too.
    sendSignal(server.signalTarget, "SIGKILL");
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
