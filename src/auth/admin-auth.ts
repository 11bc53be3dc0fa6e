import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../http/problem.ts";
import { timingSafeEqual } from "../lib/encoding.ts";
import { bearerCredential } from "./bearer.ts";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="tenantry-admin"' };

/** The control plane answers only to the deployment's ADMIN_TOKEN. */
export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = bearerCredential(c.req.header("Authorization"));
  if (!credential) {
    throw new ApiError("unauthenticated", "Send the admin token as Authorization: Bearer <token>.", { headers: CHALLENGE });
  }
  if (!c.env.ADMIN_TOKEN || !timingSafeEqual(credential, c.env.ADMIN_TOKEN)) {
    throw new ApiError("unauthenticated", "The admin token is not valid.", { headers: CHALLENGE });
  }
  await next();
};
