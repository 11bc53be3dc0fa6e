import { chown, mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { freePort } from "./ports.js";
import { spawnServer, stopServer, type ServerProcess } from "./server-process.js";
import { ensureBinary, ensureUnprivilegedUser, type SystemUser } from "./system-packages.js";

/**
 * PgBouncer in transaction mode in front of the local PostgreSQL, as Neon's pooled endpoint is in
 * front of its compute: each Worker request still opens its own client connection, but the
 * PostgreSQL backends behind it stay warm instead of being forked (and authenticated) per request.
 * Transaction mode is safe for Tenantry because every tenant setting is transaction-local
 * (`set_config(…, true)`) and every advisory lock is transaction-scoped.
 */
export interface PgBouncerHandle {
  port: number;
  /** pgbouncer pid; 0 while stopped. */
  pid: number;
  /** `postgres://USER:PASSWORD@127.0.0.1:PORT/DATABASE` for the given login. */
  urlFor(user: string, password: string, database: string): string;
  stop(): Promise<void>;
  /** Stops it (SIGTERM: every client connection drops) and starts it again on the same port. */
  restart(): Promise<void>;
}

export interface StartPgBouncerOptions {
  dir: string;
  /** The PostgreSQL server it pools. */
  serverPort: number;
  /** Logins it accepts (checked by PgBouncer, then used towards PostgreSQL). */
  users: Array<{ name: string; password: string }>;
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 10_000;

export async function startPgBouncer(opts: StartPgBouncerOptions): Promise<PgBouncerHandle> {
  const dir = resolve(opts.dir);
  const port = await freePort();
  const binary = await ensureBinary({
    name: "pgbouncer",
    candidates: ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"],
    aptPackage: "pgbouncer",
  });
  // Like PostgreSQL, PgBouncer refuses to run as root.
  const runAs = isRoot() ? await ensureUnprivilegedUser() : undefined;
  const configFile = await writeConfig(dir, port, opts, runAs);

  const launch = async (): Promise<ServerProcess> => {
    const started: ServerProcess = await spawnServer({
      command: binary,
      args: [configFile],
      ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
      emergencySignal: "SIGKILL",
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
    try {
      await waitForPort(started, port);
    } catch (error) {
      await stopServer(started, "SIGKILL");
      throw error;
    }
    return started;
  };
  let server = await launch();

  return {
    port,
    get pid() {
      return server.hasExited() ? 0 : server.pid;
    },
    urlFor: (user, password, database) =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    // SIGINT: "safe shutdown" would wait for clients; SIGTERM closes at once, which is what a stop means.
    stop: () => stopServer(server, "SIGTERM"),
    restart: async () => {
      await stopServer(server, "SIGTERM");
      server = await launch();
    },
  };
}

async function writeConfig(dir: string, port: number, opts: StartPgBouncerOptions, runAs: SystemUser | undefined): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const userlist = join(dir, "userlist.txt");
  const config = join(dir, "pgbouncer.ini");
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  await writeFile(userlist, opts.users.map((user) => `${quote(user.name)} ${quote(user.password)}`).join("\n") + "\n", { mode: 0o600 });
  const settings: Record<string, string | number> = {
    listen_addr: "127.0.0.1",
    listen_port: port,
    unix_socket_dir: "",
    auth_type: "plain",
    auth_file: userlist,
    pool_mode: "transaction",
    // Within the default open-file limit (1024) that PgBouncer inherits.
    max_client_conn: 900,
    default_pool_size: 20,
    // Startup parameters the drivers send that transaction pooling cannot honour per client.
    ignore_startup_parameters: "extra_float_digits,options",
    // An outage must surface fast (the Worker answers 503) and end by itself: a query waits at
    // most 2 s for a server connection, and a failed login is retried every 0.2 s.
    server_login_retry: 0.2,
    server_connect_timeout: 2,
    query_wait_timeout: 2,
    server_check_delay: 1,
    log_connections: 0,
    log_disconnections: 0,
    log_pooler_errors: 1,
    stats_period: 3600,
  };
  const ini = [
    "[databases]",
    `* = host=127.0.0.1 port=${opts.serverPort}`,
    "",
    "[pgbouncer]",
    ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
    "",
  ].join("\n");
  await writeFile(config, ini, { mode: 0o600 });
  if (runAs !== undefined) {
    for (const path of [dir, userlist, config]) await chown(path, runAs.uid, runAs.gid);
  }
  return config;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

async function waitForPort(server: ServerProcess, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`pgbouncer exited:\n${server.recentOutput()}`);
    const open = await new Promise<boolean>((done) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (open) return;
    await new Promise((wait) => setTimeout(wait, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port} within ${READY_TIMEOUT_MS / 1000} s:\n${server.recentOutput()}`);
}
