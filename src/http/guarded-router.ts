import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";

/** Any router: a chained router's type carries its routes' schemas. */
type Routes = Hono<AppEnv, any, any>;
type Security = readonly Record<string, readonly string[]>[];

export interface GuardSpec {
  /** Names the router in startup errors. */
  name: string;
  /** The URL patterns the router owns ("/v1/me", "/v1/maps/*"); every route must fall under one. */
  prefixes: readonly string[];
  /** Middleware run, in order, before every route under the prefixes (authentication first). */
  guard: readonly MiddlewareHandler<AppEnv>[];
  /** The OpenAPI `security` every route of the router documents. */
  security: Security;
}

/** Whether a Hono route path lies under a prefix pattern ("/x/*" also covers "/x" itself, as in Hono). */
export function underPrefix(path: string, prefix: string): boolean {
  if (!prefix.endsWith("/*")) return path === prefix;
  const base = prefix.slice(0, -2);
  return path === base || path.startsWith(`${base}/`);
}

/**
 * A set of routes that share one guard. Routes join with `add`, which refuses (at startup) a route
 * outside the router's prefixes or one documenting another security: so no route is reachable
 * without the guard its documentation promises. `mountOn` puts the guard on every prefix, then the routes.
 */
export class GuardedRouter {
  private readonly parts: Routes[] = [];

  constructor(readonly spec: GuardSpec) {}

  add(routes: Routes): this {
    for (const route of routes.routes) {
      if (!this.spec.prefixes.some((prefix) => underPrefix(route.path, prefix))) {
        throw new Error(`${this.spec.name} router: ${route.method} ${route.path} lies outside ${this.spec.prefixes.join(", ")}`);
      }
    }
    const documented = routes instanceof OpenAPIHono ? routes.openAPIRegistry.definitions : [];
    for (const definition of documented) {
      if (definition.type !== "route") continue;
      const { method, path, security } = definition.route;
      if (JSON.stringify(security) !== JSON.stringify(this.spec.security)) {
        throw new Error(`${this.spec.name} router: ${method.toUpperCase()} ${path} documents security ${JSON.stringify(security)}`);
      }
    }
    this.parts.push(routes);
    return this;
  }

  mountOn(app: OpenAPIHono<AppEnv>): void {
    // In Hono, "/x/*" also matches "/x": one pattern per prefix, or the guard would run twice.
    for (const prefix of this.spec.prefixes) app.use(prefix, ...this.spec.guard);
    for (const routes of this.parts) app.route("/", routes);
  }
}
