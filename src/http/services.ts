import type { MiddlewareHandler } from "hono";
import { openRedis } from "../cache/redis.ts";
import { openDatabase, type DatabaseHandle } from "../db/client.ts";
import { openHttpDatabase, type HttpDatabase } from "../db/http-client.ts";
import type { AppEnv, Services } from "./app-env.ts";
import type { RequestTimer } from "./timing.ts";

export interface ServiceScope {
  services: Services;
  /** Releases what was opened; call once the work is done (after the response). */
  close(): Promise<void>;
}

/** Services for one unit of work (a request, a queue batch), opened on first use; a request's round trips count into its timer. */
export function openServices(env: Env, timer?: RequestTimer): ServiceScope {
  let database: DatabaseHandle | undefined;
  let redis: ReturnType<typeof openRedis> | undefined;
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
    },
    close: async () => {
      await database?.close();
    },
  };
}

export const services: MiddlewareHandler<AppEnv> = async (c, next) => {
  const scope = openServices(c.env, c.get("timer"));
  c.set("services", scope.services);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(scope.close());
  }
};
