import { eq } from "drizzle-orm";
import { sign } from "hono/jwt";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { base58 } from "../lib/encoding.ts";
import { SCOPES, type Scope } from "../core/tenant-context.ts";
import { tenants } from "../core/tenant-table.ts";
import { DEFAULT_TOKEN_TTL_SECONDS } from "./api-schemas.ts";

/** Exactly these claims; the data plane verifies them. */
export interface TenantTokenClaims {
  tid: string;
  sub: string;
  /** Space-separated scopes, e.g. "read write". */
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  [claim: string]: unknown;
}

export function tokenClaims(tenantId: string, input: { sub: string; scopes?: Scope[]; ttlSeconds?: number }, nowSeconds: number, jti: string): TenantTokenClaims {
  const requested = input.scopes ?? SCOPES;
  const scopes = SCOPES.filter((scope) => requested.includes(scope));
  return {
    tid: tenantId,
    sub: input.sub,
    scope: scopes.join(" "),
    iat: nowSeconds,
    exp: nowSeconds + (input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
    jti,
  };
}

/** HS256 under JWT_SECRET (its UTF-8 bytes are the HMAC key), for an existing, non-deleted tenant. Audited without the token. */
export async function issueTenantToken(db: Database, jwtSecret: string | undefined, tenantId: string, input: { sub: string; scopes?: Scope[]; ttlSeconds?: number }) {
  if (!jwtSecret) throw new ApiError("unavailable", "Token signing is not configured (JWT_SECRET).");
  const [tenant] = await db.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, tenantId));
  if (!tenant) throw new ApiError("not_found", "No such tenant.");
  if (tenant.status === "deleted") throw new ApiError("conflict", "The tenant is deleted; it cannot get tokens.");

  const jti = base58(crypto.getRandomValues(new Uint8Array(16)));
  const claims = tokenClaims(tenantId, input, Math.floor(Date.now() / 1000), jti);
  const token = await sign(claims, jwtSecret, "HS256");
  const expiresAt = new Date(claims.exp * 1000).toISOString();
  await recordAudit(db, {
    tenantId,
    actor: "admin",
    action: "token.issued",
    details: { sub: claims.sub, scopes: claims.scope.split(" "), jti, expiresAt },
  });
  return { token, expiresAt };
}
