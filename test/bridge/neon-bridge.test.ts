import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neonConfig, Pool } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNeonBridge, type NeonBridgeHandle } from "../../scripts/stack/neon-bridge.js";
import { startPostgres, type PostgresHandle } from "../../scripts/stack/postgres.js";

let dir: string | undefined;
let postgres: PostgresHandle | undefined;
let bridge: NeonBridgeHandle | undefined;
const pools: Pool[] = [];

/** A Pool configured the way the Worker configures it locally; every pool is ended in afterAll. */
function newPool(connectionString: string): Pool {
  const pool = new Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000 });
  // Idle clients die when Postgres goes away; without a listener that 'error' would crash the run.
  pool.on("error", () => undefined);
  pools.push(pool);
  return pool;
}

function db(): PostgresHandle {
  if (postgres === undefined) throw new Error("postgres not started");
  return postgres;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status a WebSocket upgrade to `url` is refused with, or "open" if it is accepted. */
function upgradeStatus(url: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      resolve(String(res.statusCode));
      ws.terminate();
    });
    ws.on("open", () => {
      resolve("open");
      ws.terminate();
    });
    ws.on("error", () => undefined);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tenantry-neon-bridge-"));
  await chmod(dir, 0o755); // Postgres runs as an unprivileged user that must reach the data dir
  postgres = await startPostgres({ dataDir: join(dir, "pgdata") });
  const started = await startNeonBridge({});
  bridge = started;
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host: string, port: number | string) => `${started.host}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((pool) => withTimeout(pool.end(), 5_000, "pool.end()").catch(() => undefined)));
  await bridge?.stop();
  await postgres?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("@neondatabase/serverless through the bridge", () => {
  it("connects with SCRAM password auth and runs queries", async () => {
    const pool = newPool(db().superuserUrl);
    const { rows } = await pool.query<{ one: number; user: string; db: string }>(
      "select 1 as one, current_user as user, current_database() as db",
    );
    expect(rows).toEqual([{ one: 1, user: "postgres", db: "tenantry" }]);
    const hba = await pool.query<{ method: string }>(
      "select auth_method as method from pg_hba_file_rules where type = 'host' and address = '127.0.0.1'",
    );
    expect(new Set(hba.rows.map((r) => r.method))).toEqual(new Set(["scram-sha-256"]));
    const encrypted = await pool.query<{ scram: boolean }>(
      "select rolpassword like 'SCRAM-SHA-256$%' as scram from pg_authid where rolname = 'postgres'",
    );
    expect(encrypted.rows[0]?.scram).toBe(true);
    expect(bridge?.connections()).toBeGreaterThan(0);
  });

  it("rejects a wrong password", async () => {
    const pool = newPool(db().superuserUrl.replace("postgres:postgres@", "postgres:wrong@"));
    await expect(withTimeout(pool.query("select 1"), 10_000, "bad login")).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it("binds parameters", async () => {
    const pool = newPool(db().superuserUrl);
    const { rows } = await pool.query<{ sum: number; text: string; missing: null }>(
      "select $1::int + $2::int as sum, $3::text as text, $4::text as missing",
      [2, 3, "héllo 🦄 'quoted'", null],
    );
    expect(rows[0]).toEqual({ sum: 5, text: "héllo 🦄 'quoted'", missing: null });
  });

  it("transaction-local settings are visible inside and gone after COMMIT", async () => {
    const pool = newPool(db().superuserUrl);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("select set_config('app.tenant_id', $1, true)", ["tenant-x"]);
      const inside = await client.query<{ tenant: string | null }>("select current_setting('app.tenant_id', true) as tenant");
      expect(inside.rows[0]?.tenant).toBe("tenant-x");
      await client.query("COMMIT");
      const after = await client.query<{ tenant: string | null }>(
        "select coalesce(current_setting('app.tenant_id', true), '') as tenant",
      );
      expect(after.rows[0]?.tenant).toBe("");
    } finally {
      client.release();
    }
  });

  it("ROLLBACK discards changes", async () => {
    const pool = newPool(db().superuserUrl);
    await pool.query("create table if not exists rollback_probe (id int primary key)");
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("insert into rollback_probe values (1), (2)");
      const inside = await client.query<{ n: string }>("select count(*) as n from rollback_probe");
      expect(inside.rows[0]?.n).toBe("2");
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    const after = await pool.query<{ n: string }>("select count(*) as n from rollback_probe");
    expect(after.rows[0]?.n).toBe("0");
  });

  it("serves 10 concurrent clients", async () => {
    const pool = newPool(db().superuserUrl);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pool.query<{ i: number; pid: number }>("select $1::int as i, pg_backend_pid() as pid, pg_sleep(0.3)", [i]),
      ),
    );
    expect(results.map((r) => r.rows[0]?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(results.map((r) => r.rows[0]?.pid)).size).toBe(10);
    expect(Date.now() - started).toBeLessThan(2_500); // 10 × 0.3 s serially would be 3 s
  });

  it("a bad query errors without breaking the pool", async () => {
    const pool = newPool(db().superuserUrl);
    await expect(pool.query("select * from table_that_does_not_exist")).rejects.toThrow(/does not exist/);
    await expect(pool.query("selec 1")).rejects.toThrow(/syntax error/);
    const { rows } = await pool.query<{ ok: boolean }>("select true as ok");
    expect(rows[0]?.ok).toBe(true);
  });
});

describe("tunnels", () => {
  it("streams large results and requests intact", async () => {
    const pool = newPool(db().superuserUrl);
    const big = "🦄x".repeat(1_500_000); // ~7.5 MB of UTF-8 each way
    const { rows } = await pool.query<{ len: number; echoed: string }>(
      "select length($1::text) as len, $1::text || repeat('y', 3000000) as echoed",
      [big],
    );
    expect(rows[0]?.len).toBe(3_000_000);
    expect(rows[0]?.echoed).toBe(big + "y".repeat(3_000_000));
  });

  it("releases tunnels when clients disconnect", async () => {
    const opened = bridge?.connections() ?? 0;
    const pool = newPool(db().superuserUrl);
    await Promise.all([pool.query("select pg_sleep(0.05)"), pool.query("select pg_sleep(0.05)")]);
    expect(bridge?.connections()).toBe(opened + 2);
    await withTimeout(pool.end(), 5_000, "pool.end()");
    pools.splice(pools.indexOf(pool), 1);
    const deadline = Date.now() + 2_000;
    while ((bridge?.connections() ?? 0) > opened && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(bridge?.connections()).toBe(opened);
  });
});

describe("bridge guards", () => {
  it("refuses targets that are not allowed", async () => {
    const pool = newPool("postgres://postgres:postgres@10.255.255.1:5432/tenantry");
    // A refused upgrade reaches the driver as the WebSocket's ErrorEvent (not an Error instance).
    await expect(withTimeout(pool.query("select 1"), 10_000, "disallowed target")).rejects.toMatchObject({
      message: "Unexpected server response: 403",
    });

    expect(await upgradeStatus(`ws://${bridge?.host ?? ""}/v1?address=example.com:5432`)).toBe("403");
  });

  it("only allows the configured targets when given a list", async () => {
    const strict = await startNeonBridge({ allowedTargets: ["127.0.0.1:1"] });
    try {
      expect(await upgradeStatus(`ws://${strict.host}/v1?address=127.0.0.1:${db().port}`)).toBe("403");
    } finally {
      await strict.stop();
    }
  });
});

describe("Postgres outage", () => {
  it("queries fail promptly while Postgres is down and work again after it restarts", async () => {
    const pool = newPool(db().superuserUrl);
    await pool.query("select 1");
    await db().stop();

    const started = Date.now();
    // The bridge answers in the Postgres protocol, so this is a pg DatabaseError with a SQLSTATE.
    await expect(withTimeout(pool.query("select 1"), 10_000, "query during outage")).rejects.toMatchObject({
      code: "08001",
      message: expect.stringMatching(/ECONNREFUSED/) as unknown,
    });
    expect(Date.now() - started).toBeLessThan(5_000);

    await db().start();
    const fresh = newPool(db().superuserUrl);
    const { rows } = await withTimeout(fresh.query<{ ok: number }>("select 1 as ok"), 10_000, "query after restart");
    expect(rows[0]?.ok).toBe(1);
    await withTimeout(fresh.end(), 5_000, "pool.end()");
    await withTimeout(pool.end(), 5_000, "pool.end()");
    pools.splice(pools.indexOf(fresh), 1);
    pools.splice(pools.indexOf(pool), 1);
  }, 30_000);
});
