import type { Redis } from "@upstash/redis/cloudflare";
import { openRedis } from "../cache/redis.ts";
import { openDatabase, openHttpDatabase, type Database, type DatabaseHandle, type HttpDatabase } from "../db/client.ts";

import type { RequestTimer } from "../lib/request-timer.ts";

/** Services built once per unit of work, lazily: nothing connects until a caller asks. */
export interface Services {
  readonly db: Database;
  /** Postgres over HTTP: one round trip per query or batch, no interactive transactions. */
  readonly dbHttp: HttpDatabase;
  readonly redis: Redis;
  /** A second client for work started for later requests (token refills): its trips count as `upstash-ahead`. */
  readonly redisAhead: Redis;
}

export interface ServiceScope {
  services: Services;
  /** Releases what was opened; call once the work is done (after the response). */
  close(): Promise<void>;
}

/**
 * Services for one unit of work (a request, a queue batch, a cron run), opened on first use.
 * Every entry point gets them here: the HTTP middleware, the queue consumer, the scheduled jobs.
 * A request's round trips are counted into its `timer`.
 */
export function openServices(env: Env, timer?: RequestTimer): ServiceScope {
  let database: DatabaseHandle | undefined;
  let redis: ReturnType<typeof openRedis> | undefined;
  let redisAhead: ReturnType<typeof openRedis> | undefined;
  let dbHttp: HttpDatabase | undefined;
  return {
    services: {
      get db() {
        database ??= openDatabase(env, timer);
        return database.db;
      },
      get dbHttp() {
        dbHttp ??= openHttpDatabase(env, timer);
        return dbHttp;
      },
      get redis() {
        redis ??= openRedis(env, undefined, timer);
        return redis;
      },
      get redisAhead() {
        redisAhead ??= openRedis(env, undefined, timer && { trip: () => timer.trip("upstash-ahead") });
        return redisAhead;
      },
    },
    close: async () => {
      await database?.close();
    },
  };
}
