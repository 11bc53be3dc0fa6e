import type { MiddlewareHandler } from "hono";
import { openServices } from "../services/open-services.ts";
import type { AppEnv } from "./app-env.ts";

/** Opens the request's services (lazily) and closes them after the response. */
export const services: MiddlewareHandler<AppEnv> = async (c, next) => {
  const scope = openServices(c.env);
  c.set("services", scope.services);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(scope.close());
  }
};
