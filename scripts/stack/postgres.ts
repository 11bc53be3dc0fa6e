import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { isPidAlive, spawnServer, stopServer, type ServerProcess } from "./server-process.js";
import { ensurePostgresBinary, ensureUnprivilegedUser, type SystemUser } from "./system-packages.js";

export interface PostgresHandle {
  port: number;
  /** `postgres://postgres:postgres@127.0.0.1:PORT/<database>` */
  superuserUrl: string;
  /** Postmaster pid; 0 while stopped. */
  pid: number;
  readonly running: boolean;
  readonly dataDir: string;
  /** Fast shutdown (SIGINT), SIGKILL after 10 s. No-op when already stopped. */
  stop(): Promise<void>;
  /** Starts again on the same data dir and port. No-op when running. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILLs the postmaster (simulates a crash); `start()` recovers afterwards. */
  kill(): Promise<void>;
}

export interface StartPostgresOptions {
  dataDir: string;
  port?: number;
  /** Database created if missing and used in `superuserUrl`. Default "tenantry". */
  database?: string;
  /**
   * How TCP clients authenticate (fixed when the data dir is initialised). "password" mirrors
   * Neon's pipelined cleartext-over-TLS login: the serverless driver's SCRAM costs ~100 ms a connection.
   */
  hostAuth?: "scram-sha-256" | "password";
  /**
   * Keep every acknowledged commit across a crash (fsync, synchronous commits), as Neon does. Off by
   * default (dev and tests trade durability for speed); the soak turns it on: it SIGKILLs PostgreSQL
   * and checks that no acknowledged write is lost.
   */
  durable?: boolean;
  log?: (line: string) => void;
}

const SUPERUSER = "postgres";
const SUPERUSER_PASSWORD = "postgres";
const READY_TIMEOUT_MS = 30_000;
// Unix socket paths are limited to ~107 bytes; beyond that we only listen on TCP.
const MAX_SOCKET_DIR_LENGTH = 80;

export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresHandle> {
  const dataDir = resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const database = opts.database ?? "tenantry";
  const [postgresBin, initdbBin] = [await ensurePostgresBinary("postgres"), await ensurePostgresBinary("initdb")];
  const runAs = await serverUser();
  const superuserUrl = urlFor(port, database);
  let server: ServerProcess | undefined;

  const start = async (): Promise<void> => {
    if (server !== undefined && !server.hasExited()) return;
    await prepareDataDir(dataDir, runAs);
    if (!(await exists(join(dataDir, "PG_VERSION")))) await initdb(initdbBin, dataDir, runAs, opts.hostAuth ?? "scram-sha-256", opts.log);
    await removeStalePidFile(dataDir);
    const launched = await spawnServer({
      command: postgresBin,
      args: postgresArgs(dataDir, port, opts.durable ?? false),
      ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
      emergencySignal: "SIGQUIT", // immediate shutdown: the postmaster also stops its backends
      ...(opts.log === undefined ? {} : { log: opts.log }),
    });
    server = launched;
    try {
      await waitUntilReady(launched, port, dataDir);
      await ensureDatabase(port, database);
    } catch (error) {
      await stopServer(launched, "SIGQUIT", 5_000);
      throw error;
    }
  };

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (server === undefined) return;
    await stopServer(server, signal);
  };

  await start();
  return {
    port,
    superuserUrl,
    dataDir,
    get pid() {
      return server !== undefined && !server.hasExited() ? server.pid : 0;
    },
    get running() {
      return server !== undefined && !server.hasExited();
    },
    stop: () => stopWith("SIGINT"),
    start,
    restart: async () => {
      await stopWith("SIGINT");
      await start();
    },
    kill: () => stopWith("SIGKILL"),
  };
}

/** Stops a postmaster that is not tracked by a handle (e.g. found in postmaster.pid). */
export async function stopPostgresPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isPidAlive(pid)) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + graceMs;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      return;
    }
    await sleep(50);
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

function postgresArgs(dataDir: string, port: number, durable: boolean): string[] {
  const socketDir = dataDir.length <= MAX_SOCKET_DIR_LENGTH ? dataDir : "";
  const settings = {
    listen_addresses: "127.0.0.1",
    // Dev/test only: durability is traded for speed (a crash loses the last commits), unless asked for.
    fsync: durable ? "on" : "off",
    synchronous_commit: durable ? "on" : "off",
    full_page_writes: durable ? "on" : "off",
    max_connections: "200",
  };
  const args = ["-D", dataDir, "-p", String(port), "-k", socketDir];
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);
  return args;
}

/** PostgreSQL refuses to run as root, so root runs it as an unprivileged account. */
async function serverUser(): Promise<SystemUser | undefined> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  return await ensureUnprivilegedUser();
}

async function prepareDataDir(dataDir: string, runAs: SystemUser | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs !== undefined) await chown(dataDir, runAs.uid, runAs.gid);
  await chmod(dataDir, 0o700);
  if (runAs !== undefined && !(await canAccess(dataDir, runAs))) {
    throw new Error(
      `user ${runAs.name} cannot access ${dataDir}: make its parent directories traversable (chmod o+x) or choose another dataDir`,
    );
  }
}

async function canAccess(dir: string, user: SystemUser): Promise<boolean> {
  return await new Promise<boolean>((resolveOk) => {
    const probe = spawn("/usr/bin/test", ["-w", dir, "-a", "-x", dir], { uid: user.uid, gid: user.gid, stdio: "ignore" });
    probe.once("error", () => resolveOk(false));
    probe.once("exit", (code) => resolveOk(code === 0));
  });
}

async function initdb(
  initdbBin: string,
  dataDir: string,
  runAs: SystemUser | undefined,
  hostAuth: "scram-sha-256" | "password",
  log: ((line: string) => void) | undefined,
): Promise<void> {
  const pwfile = join(tmpdir(), `tenantry-pgpass-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, SUPERUSER_PASSWORD, { mode: 0o644 });
  try {
    const proc = await spawnServer({
      command: initdbBin,
      args: [
        "-D",
        dataDir,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        "--auth-local=trust",
        `--auth-host=${hostAuth}`,
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
      ],
      ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
      emergencySignal: "SIGKILL",
      ...(log === undefined ? {} : { log }),
    });
    await proc.exited;
    if (!(await exists(join(dataDir, "PG_VERSION")))) {
      throw new Error(`initdb failed for ${dataDir}:\n${proc.recentOutput()}`);
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** A postmaster.pid left by a killed server blocks startup; remove it once its process is gone. */
async function removeStalePidFile(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  const content = await readFile(pidFile, "utf8").catch(() => undefined);
  if (content === undefined) return;
  const pid = Number(content.split("\n")[0]);
  if (Number.isInteger(pid) && pid > 0 && isPidAlive(pid) && (await isPostgresProcess(pid))) {
    throw new Error(`PostgreSQL (pid ${pid}) is already running on ${dataDir}; stop it first (stopPostgresPid(${pid}))`);
  }
  await rm(pidFile, { force: true });
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes("postgres");
}

async function waitUntilReady(server: ServerProcess, port: number, dataDir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      throw new Error(`postgres exited during startup:\n${server.recentOutput()}`);
    }
    const client = new pg.Client({ connectionString: urlFor(port, "postgres"), connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      const result = await client.query<{ data_directory: string }>(
        "select current_setting('data_directory') as data_directory",
      );
      const servedDir = result.rows[0]?.data_directory ?? "";
      if (servedDir !== (await realpath(dataDir))) {
        throw new Error(`port ${port} is served by another PostgreSQL (data directory ${servedDir})`);
      }
      return;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(`port ${port} is served`)) throw error;
      lastError = error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new Error(
    `postgres did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms ` +
      `(${String(lastError)}):\n${server.recentOutput()}`,
  );
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, "postgres") });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (found.rowCount === 0) {
      await client.query(`create database ${quoteIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(
    () => true,
    () => false,
  );
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
