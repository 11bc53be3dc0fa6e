import { verify } from "hono/jwt";
import { bearerCredential } from "../auth/bearer.ts";
import type { Services } from "../services/open-services.ts";
import { ApiError } from "../http/problem.ts";
import { hashApiKey, looksLikeApiKey } from "../keys/api-keys.ts";
import { SCOPES, type Scope } from "../core/tenant-context.ts";
import type { Credential, TenantContext } from "../core/tenant-context.ts";
import { verifyTicket } from "../realtime/tickets.ts";
import { IsolateCache } from "./isolate-cache.ts";
import { dueForRefresh } from "./cached-lookup.ts";
import { find, findTenantContext, keyLookup, tenantLookup } from "./tenant-loader.ts";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="tenantry"' };
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function unauthenticated(detail: string): ApiError {
  return new ApiError("unauthenticated", detail, { headers: CHALLENGE });
}

/**
 * SHA-256 of recently seen keys, kept in the isolate only (never stored or logged): hashing costs
 * tens of microseconds, a Map lookup well under one — it is most of a blocked tenant's decision.
 */
const keyHashes = new IsolateCache<string>(60_000, 10_000);

async function keyHashOf(raw: string): Promise<string> {
  const cached = keyHashes.get(raw);
  if (cached) return cached;
  const hash = await hashApiKey(raw);
  keyHashes.set(raw, hash);
  return hash;
}

/** Key hash → its tenant, which never changes; only used to start the tenant lookup early. */
const keyOwners = new IsolateCache<string>(3_600_000, 10_000);

/**
 * Key hash → the tenant it resolved to in the last second: only for refusing a tenant this isolate
 * knows is over its limits without looking anything up (`lastKnownTenant`). Kept 1 s, the contract's
 * bound for a revoked key or a deleted tenant to take effect at every edge.
 */
const lastResolved = new IsolateCache<TenantContext>(1_000, 10_000);

/**
 * The tenant an API key resolved to in this isolate in the last second, if the key's hash is still
 * cached; no lookup, no hashing. Used only to refuse early (src/edge/early-refusal.ts): a flooding
 * tenant's requests then cost nothing, bar one a second that goes through the pipeline and
 * resolves the key again. At worst a key revoked less than a second ago gets 429 instead of 401:
 * a refusal either way, and within the second the contract allows.
 */
export function lastKnownTenant(authorization: string | undefined): TenantContext | undefined {
  const raw = bearerCredential(authorization);
  if (!raw || !looksLikeApiKey(raw)) return undefined;
  const hash = keyHashes.get(raw);
  return hash === undefined ? undefined : lastResolved.get(hash);
}

export interface ResolvedCaller {
  credential: Credential;
  tenant: TenantContext;
}

interface TokenClaims {
  tid: string;
  sub: string;
  scopes: Scope[];
  jti: string;
}

async function verifyTenantToken(token: string, secret: string): Promise<TokenClaims> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, secret, "HS256")) as Record<string, unknown>;
  } catch {
    throw unauthenticated("The tenant token is invalid or expired.");
  }
  const { tid, sub, scope, jti, exp } = payload;
  if (typeof tid !== "string" || typeof sub !== "string" || typeof jti !== "string" || typeof exp !== "number") {
    throw unauthenticated("The tenant token lacks required claims.");
  }
  const scopes = (typeof scope === "string" ? scope.split(" ") : []).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
  return { tid, sub, jti, scopes };
}

/**
 * Authorization header → the caller's credential and tenant. The tenant comes from the credential
 * only; nothing the request says can pick another one.
 */
export async function resolveCaller(
  authorization: string | undefined,
  env: Env,
  services: Services,
  defer: (p: Promise<unknown>) => void,
): Promise<ResolvedCaller> {
  const raw = bearerCredential(authorization);
  if (!raw) throw unauthenticated("Send an API key or tenant token as Authorization: Bearer <credential>.");
  return resolveCredential(raw, env, services, defer);
}

export async function resolveCredential(
  raw: string,
  env: Env,
  services: Services,
  defer: (p: Promise<unknown>) => void,
): Promise<ResolvedCaller> {
  let credential: Credential;
  let tenantId: string;
  let prefetched: Promise<TenantContext | null> | undefined;
  let keyHash: string | undefined;
  if (looksLikeApiKey(raw)) {
    const hash = await keyHashOf(raw);
    keyHash = hash;
    // A key never changes tenant: once seen, its tenant's context is looked up alongside the key
    // record (one pipelined Upstash round trip on a double miss) instead of after it.
    const owner = keyOwners.get(hash);
    const keyEntry = keyLookup(env, services, hash);
    const tenantEntry = owner === undefined ? undefined : tenantLookup(env, services, owner);
    // And the two are refreshed ahead together, in one round trip: landing together, their entries
    // stay due together, where apart they drifted and each took a round trip of its own.
    const together = tenantEntry !== undefined && (dueForRefresh(keyEntry) || dueForRefresh(tenantEntry));
    prefetched = tenantEntry && find(services, tenantEntry, defer, together);
    // Awaited below unless the key turns out unusable; its failure must not go unhandled then.
    prefetched?.catch(() => undefined);
    const record = await find(services, keyEntry, defer, together);
    if (!record || record.revoked) throw unauthenticated("The API key is unknown or revoked.");
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) throw unauthenticated("The API key has expired.");
    credential = { kind: "api_key", keyId: record.keyId, scopes: record.scopes };
    tenantId = record.tenantId;
    keyOwners.set(hash, tenantId);
    if (owner !== tenantId) prefetched = undefined;
  } else if (JWT_SHAPE.test(raw)) {
    const claims = await verifyTenantToken(raw, env.JWT_SECRET);
    credential = { kind: "token", sub: claims.sub, jti: claims.jti, scopes: claims.scopes };
    tenantId = claims.tid;
  } else {
    throw unauthenticated("The credential is malformed.");
  }

  const tenant = await (prefetched ?? findTenantContext(env, services, tenantId, defer));
  // A deleted tenant's credentials are all dead at once, tokens included.
  if (!tenant || tenant.status === "deleted") throw unauthenticated("The credential's tenant no longer exists.");
  if (keyHash !== undefined) lastResolved.set(keyHash, tenant);
  return { credential, tenant };
}

/** A realtime ticket (`?ticket=`) as a credential: the tenant and scopes it was issued for. */
export async function resolveTicket(
  ticket: string,
  env: Env,
  services: Services,
  defer: (p: Promise<unknown>) => void,
): Promise<ResolvedCaller> {
  const claims = await verifyTicket(env.JWT_SECRET, ticket);
  if (!claims) throw unauthenticated("The realtime ticket is invalid or expired.");
  const tenant = await findTenantContext(env, services, claims.tid, defer);
  if (!tenant || tenant.status === "deleted") throw unauthenticated("The ticket's tenant no longer exists.");
  return { credential: { kind: "ticket", actor: claims.actor, jti: claims.jti, scopes: claims.scopes }, tenant };
}
