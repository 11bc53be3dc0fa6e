import { Pool, neon, neonConfig, type NeonQueryFunction, type PoolClient } from "@neondatabase/serverless";
import { drizzle as drizzleOverHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { countedHttpClient, countingClient, type DbTripSink } from "./round-trips.ts";

const CLOSE_GRACE_MS = 1000;

// No relational schema passed to drizzle: nothing uses `db.query`, and extracting one from the
// tables costs more CPU than the rest of a cached read's pipeline, on every request.
export type Database = NeonDatabase;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseConfig {
  DATABASE_URL: string;
  /** Set only locally: `host:port` of the bridge in front of plain PostgreSQL (WebSockets, and HTTP SQL at /sql). */
  NEON_WS_PROXY?: string;
}

export interface DatabaseHandle {
  db: Database;
  close(): Promise<void>;
}

export function configureTransport(config: DatabaseConfig): void {
  const proxy = config.NEON_WS_PROXY;
  if (!proxy) return;
  // The local bridge also serves Neon's HTTP SQL endpoint (scripts/stack/neon-http-sql.ts).
  neonConfig.fetchEndpoint = () => `http://${proxy}/sql`;
  // Neon's documented local set-up: plain ws:// to our bridge, no TLS inside, no pipelined auth.
  neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

/**
 * A pool for one request (Workers may not share sockets across requests). Connections are opened
 * lazily, so a handler that never touches the database costs nothing. With `trips`, every round
 * trip its connections make is counted there.
 */
export function openDatabase(config: DatabaseConfig, trips?: DbTripSink): DatabaseHandle {
  configureTransport(config);
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max: 4,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 10_000,
    // A query whose connection died without a word (a pooler restarting) fails instead of hanging.
    query_timeout: 30_000,
  });
  if (trips) pool.Client = countingClient(trips);
  // A broken idle connection must not surface as an unhandled error.
  pool.on("error", () => {});
  // Nor a connection dropped while checked out: the pool takes its own listener off a client it
  // lends, and the driver then emits "error" (uncaught in workerd, which resets a Durable Object)
  // besides failing the pending query, which is where callers see it.
  pool.on("connect", (client: PoolClient) => client.on("error", () => {}));
  return {
    db: drizzle(pool),
    // A client a failed transaction never gave back (its connection died mid-rollback) would make
    // pool.end() wait forever, wedging whoever awaits close: give it a moment, then let go.
    close: () => Promise.race([pool.end().catch(() => {}), new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]),
  };
}

/**
 * Postgres over Neon's HTTP endpoint: no connection to set up, and each query, or each batch
 * (`db.batch([...])`: one transaction), is exactly one round trip. For work that needs no
 * interactive transaction; anything that reads, then decides what to write, uses `openDatabase`.
 */
export type HttpDatabase = NeonHttpDatabase & { $client: NeonQueryFunction<false, false> };

export function openHttpDatabase(config: DatabaseConfig, trips?: DbTripSink): HttpDatabase {
  configureTransport(config);
  const client = neon(config.DATABASE_URL);
  return drizzleOverHttp(trips ? countedHttpClient(client, trips) : client);
}

/** One statement with `$n` parameters at a time, as text. */
export interface StatementRunner {
  query(text: string, params: unknown[]): Promise<unknown>;
}

/**
 * Statements over Neon's HTTP endpoint, each with a deadline, for background work (a runtime
 * object's alarm) that must not be held by a Postgres that never answers. The deadline's timer is
 * cleared as soon as the answer comes: `AbortSignal.timeout`'s would stay pending, and a Durable
 * Object with a pending timer does not hibernate.
 */
export function openHttpStatements(config: DatabaseConfig, timeoutMs: number): StatementRunner {
  const client = openHttpDatabase(config).$client;
  return {
    async query(text, params) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      try {
        return await client.query(text, params, { fetchOptions: { signal: deadline.signal } });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
