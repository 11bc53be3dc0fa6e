// Neon's HTTP SQL protocol as the local bridge serves it, exercised with the real driver (`neon()`
// and its one-round-trip `transaction([...])`) and drizzle's neon-http batch on top.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNeonBridge, type NeonBridgeHandle } from "../../scripts/stack/neon-bridge.js";
import { startPostgres, type PostgresHandle } from "../../scripts/stack/postgres.js";

let dir: string | undefined;
let postgres: PostgresHandle | undefined;
let bridge: NeonBridgeHandle | undefined;
let delayed: NeonBridgeHandle | undefined;

const url = () => postgres!.superuserUrl;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tenantry-neon-http-"));
  await chmod(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, "pgdata") });
  bridge = await startNeonBridge({});
  delayed = await startNeonBridge({ delay: { oneWayMs: 20, jitterMs: 0 } });
  // What src/db/client.ts does locally: every HTTP query goes to the bridge.
  neonConfig.fetchEndpoint = () => `http://${bridge!.host}/sql`;
  await neon(url()).query("create table if not exists http_things (id int primary key, note text)");
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await delayed?.stop();
  await postgres?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("neon() over the bridge's HTTP SQL endpoint", () => {
  it("binds parameters and parses every value by its type", async () => {
    const rows = await neon(url()).query(
      "select $1::int + 1 as n, $2::text as t, $3::text as missing, true as yes, '2026-01-02T03:04:05.678Z'::timestamptz as at, $4::jsonb as doc, 12345678901234::bigint as big",
      [41, "héllo 🦄 'quoted'", null, JSON.stringify({ a: [1, "x"] })],
    );
    expect(rows).toEqual([
      { n: 42, t: "héllo 🦄 'quoted'", missing: null, yes: true, at: new Date("2026-01-02T03:04:05.678Z"), doc: { a: [1, "x"] }, big: "12345678901234" },
    ]);
  });

  it("runs a batch as one transaction: transaction-local settings carry through it", async () => {
    const db = neon(url());
    const [, inside] = await db.transaction([db`select set_config('app.tenant_id', ${"ten_x"}, true)`, db`select current_setting('app.tenant_id', true) as tenant`]);
    expect(inside).toEqual([{ tenant: "ten_x" }]);
    const after = await db`select coalesce(current_setting('app.tenant_id', true), '') as tenant`;
    expect(after).toEqual([{ tenant: "" }]);
  });

  it("commits a batch whole or not at all", async () => {
    const db = neon(url());
    await db.transaction([db`insert into http_things values (1, 'kept')`, db`select 1`]);
    const failed = db.transaction([db`insert into http_things values (2, 'rolled back')`, db`insert into http_things values (1, 'duplicate')`]);
    await expect(failed).rejects.toMatchObject({ code: "23505", constraint: "http_things_pkey" });
    expect(await db`select id, note from http_things order by id`).toEqual([{ id: 1, note: "kept" }]);
  });

  // The bridge sends a batch's statements pipelined: what follows a failed one must neither hide its
  // error (PostgreSQL answers the rest with 25P02) nor commit, and the connection must stay usable.
  it("answers a batch with its first failing statement's error when more statements follow it", async () => {
    const db = neon(url());
    const failed = db.transaction([
      db`insert into http_things values (20, 'rolled back')`,
      db`select 1 / ${0}::int as boom`,
      db`insert into http_things values (21, 'never run')`,
      db`select 2`,
    ]);
    await expect(failed).rejects.toMatchObject({ code: "22012" });
    expect(await db`select id from http_things where id >= 20`).toEqual([]);
    for (let i = 0; i < 25; i++) expect(await db.transaction([db`select ${i}::int as i`])).toEqual([[{ i }]]); // every pooled connection still works
  });

  it("honours the batch's read-only and isolation headers", async () => {
    const db = neon(url());
    const readOnly = db.transaction([db`insert into http_things values (3, 'no')`], { readOnly: true });
    await expect(readOnly).rejects.toMatchObject({ code: "25006" });
    const [[level]] = (await db.transaction([db`show transaction_isolation`], { isolationLevel: "Serializable" })) as [[{ transaction_isolation: string }]];
    expect(level.transaction_isolation).toBe("serializable");
  });

  it("reports a database error with its fields (a 400 the driver turns into NeonDbError)", async () => {
    await expect(neon(url()).query("select * from no_such_table")).rejects.toMatchObject({ name: "NeonDbError", code: "42P01", severity: "ERROR" });
  });

  it("serves drizzle's neon-http batch (one round trip for scoping and the query)", async () => {
    const db = drizzle(neon(url()));
    const [, rows] = await db.batch([db.execute(sql`select set_config('app.tenant_id', ${"ten_y"}, true)`), db.execute(sql`select current_setting('app.tenant_id', true) as tenant`)]);
    expect(rows.rows).toEqual([{ tenant: "ten_y" }]);
  });

  it("refuses a target outside the allowed hosts", async () => {
    const response = await fetch(`http://${bridge!.host}/sql`, {
      method: "POST",
      headers: { "Neon-Connection-String": "postgresql://u:p@example.com:5432/db" },
      body: JSON.stringify({ query: "select 1", params: [] }),
    });
    expect(response.status).toBe(403);
  });

  it("adds the network model's round trip to each request", async () => {
    const saved = neonConfig.fetchEndpoint;
    neonConfig.fetchEndpoint = () => `http://${delayed!.host}/sql`;
    try {
      const db = neon(url());
      await db`select 1`;
      const started = performance.now();
      await db.transaction([db`select 1`, db`select 2`, db`select 3`]);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(40); // one round trip of 2 × 20 ms (never less), whatever the batch holds
      expect(elapsed).toBeLessThan(200);
    } finally {
      neonConfig.fetchEndpoint = saved;
    }
  });

  it("keeps a delayed WebSocket tunnel's stream in order (jitter never reorders messages)", async () => {
    const jittery = await startNeonBridge({ delay: { oneWayMs: 1, jitterMs: 3 } });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host: string, port: number | string) => `${jittery.host}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    const pool = new Pool({ connectionString: url(), max: 2 });
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.query<{ i: number; pad: string }>("select $1::int as i, repeat('x', $1::int * 50) as pad", [i])));
      answers.forEach((answer, i) => expect(answer.rows).toEqual([{ i, pad: "x".repeat(i * 50) }]));
    } finally {
      await pool.end();
      await jittery.stop();
    }
  });
});
