import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { withConsoleHeaders } from "./security-headers.ts";

/**
 * GET /console and everything under it: the operator's single-page app, from the Worker's static
 * assets (wrangler's [assets], built by Vite into console/dist). The Worker runs first for every
 * path, so these responses always carry the console's security headers. Asset files have hashed
 * names and are cached for good; any other path is a client-side route and gets index.html.
 */
export const consoleRoutes = new Hono<AppEnv>();

consoleRoutes.on(["GET", "HEAD"], ["/console", "/console/*"], async (c) => {
  const rest = c.req.path.slice("/console".length) || "/";
  const url = new URL(c.req.url);
  if (rest.startsWith("/assets/")) {
    url.pathname = rest;
    const asset = await c.env.ASSETS.fetch(new Request(url, { method: c.req.method }));
    // The asset router answers a miss with index.html (single-page-application); a script URL must not.
    if (asset.headers.get("Content-Type")?.startsWith("text/html")) return c.body(null, 404);
    return withConsoleHeaders(asset, "public, max-age=31536000, immutable");
  }
  url.pathname = "/";
  return withConsoleHeaders(await c.env.ASSETS.fetch(new Request(url, { method: c.req.method })), "no-store");
});
