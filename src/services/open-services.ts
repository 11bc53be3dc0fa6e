import type { Redis } from "@upstash/redis/cloudflare";
import { openRedis } from "../cache/redis.ts";
import { openDatabase, type Database, type DatabaseHandle } from "../db/client.ts";

/** Services built once per unit of work, lazily: nothing connects until a caller asks. */
export interface Services {
  readonly db: Database;
  readonly redis: Redis;
}

export interface ServiceScope {
  services: Services;
  /** Releases what was opened; call once the work is done (after the response). */
  close(): Promise<void>;
}

/**
 * Services for one unit of work (a request, a queue batch, a cron run), opened on first use.
 * Every entry point gets them here: the HTTP middleware, the queue consumer, the scheduled jobs.
 */
export function openServices(env: Env): ServiceScope {
  let database: DatabaseHandle | undefined;
  let redis: ReturnType<typeof openRedis> | undefined;
  return {
    services: {
      get db() {
        database ??= openDatabase(env);
        return database.db;
      },
      get redis() {
        redis ??= openRedis(env);
        return redis;
      },
    },
    close: async () => {
      await database?.close();
    },
  };
}
