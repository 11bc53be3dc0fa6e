import { mkdir } from "node:fs/promises";
import { connect } from "node:net";
import { resolve } from "node:path";
import { freePort } from "./ports.js";
import { spawnServer, stopServer, type ServerProcess } from "./server-process.js";
import { ensureBinary } from "./system-packages.js";

export interface RedisHandle {
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** redis-server pid; 0 while stopped. */
  pid: number;
  readonly running: boolean;
  /** SIGTERM, SIGKILL after 10 s. No-op when already stopped. */
  stop(): Promise<void>;
  /** Starts again on the same port and dir (data is not persisted). No-op when running. */
  start(): Promise<void>;
}

export interface StartRedisOptions {
  dir: string;
  port?: number;
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedis(opts: StartRedisOptions): Promise<RedisHandle> {
  const dir = resolve(opts.dir);
  const port = opts.port ?? (await freePort());
  const redisServer = await ensureBinary({
    name: "redis-server",
    candidates: ["/usr/bin/redis-server", "/usr/local/bin/redis-server"],
    aptPackage: "redis-server",
  });
  let server: ServerProcess | undefined;

  const start = async (): Promise<void> => {
    if (server !== undefined && !server.hasExited()) return;
    await mkdir(dir, { recursive: true });
    const launched = await spawnServer({
      command: redisServer,
      args: [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", dir,
        "--protected-mode", "no",
        "--daemonize", "no",
        "--logfile", "",
      ],
      emergencySignal: "SIGKILL",
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
    server = launched;
    try {
      await waitForPong(launched, port);
    } catch (error) {
      await stopServer(launched, "SIGKILL");
      throw error;
    }
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return server !== undefined && !server.hasExited() ? server.pid : 0;
    },
    get running() {
      return server !== undefined && !server.hasExited();
    },
    stop: async () => {
      if (server !== undefined) await stopServer(server, "SIGTERM");
    },
    start,
  };
}

async function waitForPong(server: ServerProcess, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`redis-server exited during startup:\n${server.recentOutput()}`);
    if (await ping(port)) {
      // Something else might own the port while our server failed to bind: make sure ours is alive.
      await new Promise((r) => setTimeout(r, 20));
      if (server.hasExited()) throw new Error(`redis-server exited during startup:\n${server.recentOutput()}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on 127.0.0.1:${port}:\n${server.recentOutput()}`);
}

async function ping(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolvePing) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
