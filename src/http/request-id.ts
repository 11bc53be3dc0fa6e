import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";

/** A caller's id is echoed when it is sane: short, printable, no spaces. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export function newRequestId(): string {
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

export function requestIdFrom(header: string | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : newRequestId();
}

export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdFrom(c.req.header("X-Request-Id"));
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
};
