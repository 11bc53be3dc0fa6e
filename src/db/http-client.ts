import { neon, type NeonQueryFunction } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { configureTransport, type DatabaseConfig } from "./client.ts";
import type { DbTripSink } from "./round-trips.ts";
import * as schema from "./schema.ts";

/**
 * Postgres over Neon's HTTP endpoint: no connection to set up, and each query, or each batch
 * (`db.batch([...])`: one transaction), is exactly one round trip. For work that needs no
 * interactive transaction; anything that reads, then decides what to write, uses `openDatabase`.
 */
export type HttpDatabase = NeonHttpDatabase<typeof schema>;

export function openHttpDatabase(config: DatabaseConfig, trips?: DbTripSink): HttpDatabase {
  configureTransport(config);
  const client = neon(config.DATABASE_URL);
  return drizzle(trips ? counted(client, trips) : client, { schema });
}

/**
 * The same query function, each HTTP request it makes counted (and timed) as one round trip. A
 * query is sent when awaited (and not at all when it goes into a batch, which is sent whole).
 */
function counted(client: NeonQueryFunction<false, false>, trips: DbTripSink): NeonQueryFunction<false, false> {
  const timed = <T>(request: () => PromiseLike<T>): Promise<T> => {
    const started = performance.now();
    trips.trip("db");
    return Promise.resolve(request()).finally(() => trips.addTripTime("db", performance.now() - started));
  };
  const { query: unsentQuery, transaction: sendTransaction } = client;
  const query = ((...args: Parameters<typeof client.query>) => {
    const pending = unsentQuery(...args);
    const send = pending.then.bind(pending);
    Object.assign(pending, { then: (ok?: (value: unknown) => unknown, fail?: (error: unknown) => unknown) => timed(() => send()).then(ok, fail) });
    return pending;
  }) as typeof client.query;
  const transaction = ((...args: Parameters<typeof client.transaction>) => timed(() => sendTransaction(...args))) as typeof client.transaction;
  return Object.assign(client, { query, transaction });
}
