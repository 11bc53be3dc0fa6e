import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import { validationHook } from "./validation.ts";

/** Every domain's routes live on one of these; validation failures become 400 problem documents. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export const ADMIN_SECURITY = [{ adminToken: [] }];
export const TENANT_SECURITY = [{ tenantCredential: [] }];
