import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureConsoleBuilt } from "./console-build.js";
import { applyMigrations, ensureOwnerRole } from "./migrate.js";
import { startNeonBridge, type NeonBridgeHandle } from "./neon-bridge.js";
import { NETWORK_MODELS, runtimeDelayVars, type NetworkModel } from "./network-model.js";
import { startPgBouncer, type PgBouncerHandle } from "./pgbouncer.js";
import { startPostgres, type PostgresHandle } from "./postgres.js";
import { startRedis, type RedisHandle } from "./redis.js";
import { spawnServer, stopServer, type ServerProcess } from "./server-process.js";
import { startUpstashBridge, type UpstashBridgeHandle } from "./upstash-bridge.js";
import { writeEnvFile } from "./env-file.js";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const OWNER_ROLE = "tenantry";
const OWNER_PASSWORD = "tenantry";
const DATABASE = "tenantry";
const READY_TIMEOUT_MS = 90_000;

/**
 * The gateway's signing secret when none is given: fixed and documented (README, docs/GATEWAY.md),
 * so a local origin can verify signatures without reading the stack's state. Local only.
 */
export const LOCAL_GATEWAY_SIGNING_SECRET = "tenantry-local-gateway-signing-secret";

export interface LocalStackOptions {
  /** Port of the Worker. */
  port: number;
  /** Where this instance keeps its Postgres data, Redis dir and Worker state. */
  stateDir: string;
  adminToken?: string;
  /** Existing services instead of local ones. */
  databaseUrl?: string;
  upstash?: { url: string; token: string };
  /** Extra Worker variables (tests shorten intervals with these). */
  vars?: Record<string, string>;
  log?: (line: string) => void;
  workerLog?: (line: string) => void;
  /** Wrangler config of the Worker (passed as `--config`); default: the project's wrangler.toml. */
  config?: string;
  /** Log a line per request the Worker answers (default true; benchmarks turn it off). */
  requestLog?: boolean;
  /** Added delays on the Worker's hops to Postgres, Upstash and the runtime object (default: loopback, none). */
  network?: NetworkModel;
  /** A local PostgreSQL that keeps acknowledged commits across a crash (see StartPostgresOptions.durable). */
  durablePostgres?: boolean;
}

export interface LocalStack {
  baseUrl: string;
  adminToken: string;
  /** Owner-role URL of the database itself (direct, not pooled: for migrations and inspection). */
  databaseUrl: string;
  /** The URL the Worker uses: through PgBouncer when the database is local. */
  workerDatabaseUrl: string;
  upstash: { url: string; token: string };
  postgres?: PostgresHandle;
  pgbouncer?: PgBouncerHandle;
  redis?: RedisHandle;
  upstashBridge?: UpstashBridgeHandle;
  neonBridge?: NeonBridgeHandle;
  worker: ServerProcess;
  /**
   * Stops the Worker only, leaving data services up (tests restart it to simulate eviction), and
   * starts it again with `vars` changed (a value of null removes the variable).
   */
  restartWorker(vars?: Record<string, string | null>): Promise<void>;
  /** Bundles the sources again and restarts the Worker on the new bundle (data stays). */
  reloadWorker(): Promise<void>;
  stop(): Promise<void>;
}

interface Secrets {
  adminToken: string;
  jwtSecret: string;
  masterKey: string;
  upstashToken: string;
}

/** Secrets are made once per state dir: data encrypted under MASTER_KEY must stay readable. */
async function loadSecrets(stateDir: string): Promise<Secrets> {
  const file = path.join(stateDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8")) as Secrets;
  const secrets: Secrets = {
    adminToken: `adm_${randomBytes(24).toString("base64url")}`,
    jwtSecret: randomBytes(32).toString("base64url"),
    masterKey: randomBytes(32).toString("base64"),
    upstashToken: randomBytes(24).toString("base64url"),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function isNeonHost(databaseUrl: string): boolean {
  return /\.neon\.(tech|build)$/i.test(new URL(databaseUrl).hostname);
}

function nodeBinary(): string {
  const local = path.join(PROJECT_ROOT, "node_modules/node/bin/node");
  return existsSync(local) ? local : process.execPath;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const network = options.network ?? NETWORK_MODELS.loopback!;
  if (network.name !== "loopback") log(`network model ${network.name}: ${JSON.stringify({ ...network, name: undefined })}`);
  await mkdir(options.stateDir, { recursive: true });
  // PostgreSQL runs as an unprivileged user that must be able to reach its data dir inside.
  await chmod(options.stateDir, 0o755);
  const secrets = await loadSecrets(options.stateDir);
  const adminToken = options.adminToken ?? secrets.adminToken;
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    stoppers.length = 0;
  };

  try {
    let postgres: PostgresHandle | undefined;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      log("starting PostgreSQL");
      postgres = await startPostgres({
        dataDir: path.join(options.stateDir, "postgres"),
        database: DATABASE,
        hostAuth: "password",
        durable: options.durablePostgres ?? false,
      });
      stoppers.push(() => postgres!.stop());
      await ensureOwnerRole(postgres.superuserUrl, OWNER_ROLE, OWNER_PASSWORD, DATABASE);
      databaseUrl = `postgres://${OWNER_ROLE}:${OWNER_PASSWORD}@127.0.0.1:${postgres.port}/${DATABASE}`;
    }
    log("applying migrations");
    await applyMigrations(databaseUrl);

    // Production reaches Neon's pooled endpoint; locally PgBouncer plays that part.
    let pgbouncer: PgBouncerHandle | undefined;
    let workerDatabaseUrl = databaseUrl;
    if (postgres) {
      log("starting PgBouncer (transaction mode)");
      pgbouncer = await startPgBouncer({
        dir: path.join(options.stateDir, "pgbouncer"),
        serverPort: postgres.port,
        users: [{ name: OWNER_ROLE, password: OWNER_PASSWORD }],
      });
      stoppers.push(() => pgbouncer!.stop());
      workerDatabaseUrl = pgbouncer.urlFor(OWNER_ROLE, OWNER_PASSWORD, DATABASE);
    }

    let neonBridge: NeonBridgeHandle | undefined;
    if (!isNeonHost(databaseUrl)) {
      neonBridge = await startNeonBridge({ delay: network.postgres });
      stoppers.push(() => neonBridge!.stop());
    }

    let redis: RedisHandle | undefined;
    let upstashBridge: UpstashBridgeHandle | undefined;
    let upstash = options.upstash;
    if (!upstash) {
      log("starting Redis and the Upstash REST bridge");
      redis = await startRedis({ dir: path.join(options.stateDir, "redis") });
      stoppers.push(() => redis!.stop());
      upstashBridge = await startUpstashBridge({ redisUrl: redis.url, token: secrets.upstashToken, delay: network.upstash });
      stoppers.push(() => upstashBridge!.stop());
      upstash = { url: upstashBridge.url, token: upstashBridge.token };
    }

    const vars: Record<string, string> = {
      ADMIN_TOKEN: adminToken,
      DATABASE_URL: workerDatabaseUrl,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      JWT_SECRET: secrets.jwtSecret,
      MASTER_KEY: secrets.masterKey,
      GATEWAY_SIGNING_SECRET: LOCAL_GATEWAY_SIGNING_SECRET,
      ...(neonBridge ? { NEON_WS_PROXY: neonBridge.host } : {}),
      ...runtimeDelayVars(network),
      ...options.vars,
    };
    const envFile = path.join(options.stateDir, "worker.env");
    // The host bundles the Worker into an empty folder; restarts reuse that bundle.
    const bundleDir = path.join(options.stateDir, "bundle");
    await rm(bundleDir, { recursive: true, force: true });
    await writeEnvFile(envFile, vars);

    // Inherited by wrangler (which bundles the Worker): no telemetry, no interactive prompts.
    process.env.WRANGLER_SEND_METRICS = "false";
    process.env.CI ??= "true";
    await ensureConsoleBuilt();
    const launchWorker = async (): Promise<ServerProcess> => {
      log("starting the Worker in workerd (Miniflare), bundled once per stack start or reload");
      const worker = await spawnServer({
        command: nodeBinary(),
        args: [
          "--import", "tsx",
          path.join(PROJECT_ROOT, "scripts/stack/worker-host.ts"),
          ...(options.config ? ["--config", options.config] : []),
          "--port", String(options.port),
          "--persist-to", path.join(options.stateDir, "wrangler"),
          "--env-file", envFile,
          "--bundle-dir", bundleDir,
          ...(options.requestLog === false ? ["--no-request-log"] : []),
        ],
        cwd: PROJECT_ROOT,
        emergencySignal: "SIGTERM",
        processGroup: true,
        ...(options.workerLog ? { log: options.workerLog } : {}),
      });
      await waitForHealth(`http://127.0.0.1:${options.port}`, worker);
      return worker;
    };

    let worker = await launchWorker();
    stoppers.push(() => stopServer(worker, "SIGTERM", 5_000));
    const restartWorker = async (changes: Record<string, string | null> = {}) => {
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete vars[name];
        else vars[name] = value;
      }
      await writeEnvFile(envFile, vars);
      await stopServer(worker, "SIGTERM", 5_000);
      worker = await launchWorker();
    };

    return {
      baseUrl: `http://127.0.0.1:${options.port}`,
      adminToken,
      databaseUrl,
      workerDatabaseUrl,
      upstash,
      postgres,
      pgbouncer,
      redis,
      upstashBridge,
      neonBridge,
      get worker() {
        return worker;
      },
      restartWorker,
      async reloadWorker() {
        // The running host has its bundle loaded already; the next one finds the folder empty.
        await rm(bundleDir, { recursive: true, force: true });
        await restartWorker();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitForHealth(baseUrl: string, worker: ServerProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (worker.hasExited()) throw new Error(`the Worker's host exited:\n${worker.recentOutput()}`);
    try {
      const response = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not become healthy within ${READY_TIMEOUT_MS / 1000} s:\n${worker.recentOutput()}`);
}
