import { z } from "@hono/zod-openapi";
import { ScopesSchema } from "../keys/api-schemas.ts";

export const MAX_TOKEN_TTL_SECONDS = 86_400;
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export const IssueTokenBody = z
  .strictObject({
    sub: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\u0000-\u001f\u007f]+$/, "No control characters.")
      .openapi({ description: "The end user (or service) the token is for; recorded in the audit log." }),
    scopes: ScopesSchema.optional(),
    ttlSeconds: z.number().int().min(1).max(MAX_TOKEN_TTL_SECONDS).optional().openapi({ description: `Default ${DEFAULT_TOKEN_TTL_SECONDS}.` }),
  })
  .openapi("IssueTenantToken");

export const IssuedTokenSchema = z
  .object({
    token: z.string().openapi({ description: "JWT (HS256) with claims tid, sub, scope (space-separated), iat, exp, jti." }),
    expiresAt: z.string(),
  })
  .openapi("TenantToken");
