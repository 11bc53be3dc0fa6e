import type { Context, MiddlewareHandler } from "hono";
import { recordAudit } from "../audit/record.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError, type ProblemCode } from "../http/problem.ts";
import { checkEdgeLimits, oweQuota } from "../limits/edge-limits.ts";
import { outcomeOfStatus } from "../core/outcomes.ts";
import { outcomeOfRefusal } from "../metering/outcomes.ts";
import { rateLimitHeaders } from "../limits/ratelimit-headers.ts";
import { DeadlineExceeded, withTimeout } from "../lib/with-timeout.ts";
import {
  DEFAULT_LEASE_TTL_MS,
  statusRefusal,
  type AdmitRefusal,
  type AdmitRequest,
  type AdmitResult,
  type GrantResult,
} from "../../durable-objects/tenant-runtime/admission.ts";
import { actorOf, type TenantContext } from "../core/tenant-context.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { REALTIME_PATH } from "../realtime/paths.ts";
import { resolveCaller, resolveTicket, type ResolvedCaller } from "./resolve-credential.ts";
import { limitRefusal, RATE_LIMITED_DETAIL } from "./limit-refusal.ts";
import { tenantContextCache } from "./tenant-loader.ts";
import { requestTestHooks, sleep, type RequestTestHooks } from "../test-hooks/request-hooks.ts";
import { overlapsAdmission } from "./admitted-read.ts";
import { declareJsonLength, emptyUsage, measureAnswer } from "./usage-meter.ts";
import { edgeTally } from "./edge-tally.ts";
import { admissionGrants, type Grant } from "./admission-grants.ts";
import { log } from "../lib/log.ts";
import { slowRequests, type InFlightRequest } from "./slow-requests.ts";
import { noteQuotaExhausted } from "../webhooks/quota-exhausted.ts";

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Routes that take a POST but only read (issuing a realtime ticket changes no tenant data). */
const READ_ONLY_POSTS = new Set(["/v1/realtime/tickets"]);

const REFUSAL: Record<AdmitRefusal, { code: ProblemCode; detail: string }> = {
  tenant_not_ready: { code: "tenant_not_ready", detail: "The tenant is not ready yet; retry shortly." },
  tenant_suspended: { code: "tenant_suspended", detail: "The tenant is suspended: reads work, writes do not." },
  tenant_deleted: { code: "unauthenticated", detail: "The credential's tenant no longer exists." },
  writes_paused: { code: "unavailable", detail: "The tenant's data is moving to its new isolation; writes resume in a moment." },
  concurrency_limited: { code: "concurrency_limited", detail: "Too many requests in flight for this tenant." },
  shard_busy: { code: "unavailable", detail: "The tenant's runtime shard is busy; retry shortly." },
  rate_limited: { code: "rate_limited", detail: RATE_LIMITED_DETAIL },
  too_late: { code: "unavailable", detail: "The tenant's runtime did not answer in time; retry." },
};

/** The runtime object's lease lifetime (LEASE_TTL_MS, tests only; 30 s otherwise). */
function leaseTtlMs(env: Env): number {
  const value = Number(env.LEASE_TTL_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_LEASE_TTL_MS;
}

/** A response still streaming keeps its lease: renewed before it could expire, until `work` settles. */
async function holdLeaseWhile<T>(work: Promise<T>, renew: () => Promise<unknown>, ttlMs: number): Promise<T> {
  const timer = setInterval(() => void renew().catch(() => {}), Math.max(100, ttlMs / 3));
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** How long a request waits for its runtime object's admission before answering 503. */
const ADMIT_TIMEOUT_MS = 5000;

export function isWrite(method: string, path: string): boolean {
  return !READ_METHODS.has(method) && !READ_ONLY_POSTS.has(path);
}

async function auditMismatch(c: Context<AppEnv>, tenant: TenantContext, named: string): Promise<void> {
  try {
    await recordAudit(c.get("services").db, {
      tenantId: tenant.id,
      actor: actorOf(c.get("credential")),
      action: "security.tenant_mismatch",
      details: { namedTenant: named.slice(0, 128), method: c.req.method, path: c.req.path, requestId: c.get("requestId") },
    });
  } catch (error) {
    log.error("audit of tenant mismatch failed", { requestId: c.get("requestId"), tenantId: tenant.id, error });
  }
}

/**
 * The caller of a request: its bearer credential, or (realtime upgrade only) a `?ticket=`. Both at
 * once must name the same tenant: when they do not, the caller is the header's, and `ticketNames`
 * the ticket's tenant, refused and audited after the limits like an X-Tenant-Id naming another.
 */
async function resolveRequestCaller(c: Context<AppEnv>, defer: (p: Promise<unknown>) => void): Promise<ResolvedCaller & { ticketNames?: string }> {
  const services = c.get("services");
  const ticket = c.req.path === REALTIME_PATH ? c.req.query("ticket") : undefined;
  const authorization = c.req.header("Authorization");
  if (ticket === undefined) return resolveCaller(authorization, c.env, services, defer);
  const byTicket = await resolveTicket(ticket, c.env, services, defer);
  if (authorization === undefined) return byTicket;
  const byHeader = await resolveCaller(authorization, c.env, services, defer);
  return byHeader.tenant.id === byTicket.tenant.id ? byTicket : { ...byHeader, ticketNames: byTicket.tenant.id };
}

/** The runtime object's admission, or DeadlineExceeded: a stuck object must not hang the request. */
function admitWithin(
  runtime: ReturnType<typeof runtimeFor>,
  request: AdmitRequest,
  hooks: RequestTestHooks,
  defer: (p: Promise<unknown>) => void,
): Promise<AdmitResult> {
  if (hooks.admitDelayMs === 0) return withTimeout(runtime.admit(request) as Promise<AdmitResult>, request.deadline - Date.now(), "runtime admission");
  // A test's stuck object: the admission still reaches it, late, after the edge gave up.
  const late = sleep(hooks.admitDelayMs).then(() => runtime.admit(request) as Promise<AdmitResult>);
  defer(late.catch(() => undefined));
  return withTimeout(late, request.deadline - Date.now(), "runtime admission");
}

type Step = "credential" | "limits" | "admission" | "handler";

/**
 * The data plane's front door, in order: credential → tenant (cached), Upstash token bucket + daily
 * quota (one round trip), X-Tenant-Id check, scope, status gate, runtime object admission
 * (status gate again, authoritative, and the concurrency lease). Release and usage after the response.
 */
export const dataPlane: MiddlewareHandler<AppEnv> = async (c, next) => {
  const progress: InFlightRequest & { step: Step } = { startedAt: Date.now(), requestId: c.get("requestId"), path: c.req.path, step: "credential" };
  const answered = slowRequests.begin(progress);
  try {
    await runDataPlane(c, next, progress);
  } finally {
    answered();
  }
};

async function runDataPlane(c: Context<AppEnv>, next: () => Promise<void>, progress: { step: Step }): Promise<void> {
  const defer = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
  // Benchmarks only (`npm run bench`, metering on vs off): METERING=off skips usage metering. Default on.
  const metering = c.env.METERING !== "off";
  const services = c.get("services");
  const timer = c.get("timer");
  timer.report();
  const { credential, tenant, ticketNames } = await timer.phase("auth", () => resolveRequestCaller(c, defer));
  c.set("credential", credential);
  c.set("tenant", tenant);

  progress.step = "limits";
  const limits = await timer.phase("limits", () => checkEdgeLimits(() => services.redis, tenant.id, tenant.limits, defer, () => services.redisAhead));
  if (limits.kind === "refused") {
    if (metering) edgeTally.refused(c.env, tenant, limits.code, true, defer);
    if (limits.code === "quota_exceeded") noteQuotaExhausted(c.env, () => services.redis, tenant, defer);
    const refusal = limitRefusal(limits, tenant.limits);
    throw new ApiError(refusal.code, refusal.message, refusal.extras);
  }
  const headers = rateLimitHeaders(limits.state, tenant.limits);
  const refuse = (code: ProblemCode, detail: string, retryAfterMs?: number): never => {
    if (limits.kind === "allowed") defer(limits.refundDaily());
    throw new ApiError(code, detail, { headers, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  };
  /**
   * A refusal decided here, before the runtime object saw the request: no call on its path. The
   * isolate tallies it and reports the tally within the second (src/edge/edge-tally.ts).
   */
  const refuseAtEdge = (refusal: Parameters<typeof outcomeOfRefusal>[0], code: ProblemCode, detail: string, retryAfterMs?: number): never => {
    if (metering) edgeTally.refused(c.env, tenant, outcomeOfRefusal(refusal), false, defer);
    return refuse(code, detail, retryAfterMs);
  };

  if (ticketNames !== undefined) {
    await auditMismatch(c, tenant, ticketNames);
    refuseAtEdge("tenant_mismatch", "tenant_mismatch", "The ticket and the Authorization credential belong to different tenants.");
  }
  const named = c.req.header("X-Tenant-Id");
  if (named !== undefined && named !== tenant.id) {
    await auditMismatch(c, tenant, named);
    refuseAtEdge("tenant_mismatch", "tenant_mismatch", "The credential belongs to another tenant than X-Tenant-Id names.");
  }

  const write = isWrite(c.req.method, c.req.path);
  if (!credential.scopes.includes(write ? "write" : "read")) {
    refuseAtEdge("forbidden", "forbidden", `This credential lacks the "${write ? "write" : "read"}" scope.`);
  }
  // A write pause is left to the runtime object, told of its end at once: this cached copy may be a TTL late.
  const edgeRefusal = statusRefusal(tenant, write);
  if (edgeRefusal && edgeRefusal !== "writes_paused") refuseAtEdge(edgeRefusal, REFUSAL[edgeRefusal].code, REFUSAL[edgeRefusal].detail, 1000);

  progress.step = "admission";
  const hooks = requestTestHooks(c.env, (name) => c.req.header(name));
  c.set("usage", emptyUsage(Number(c.req.header("Content-Length") ?? 0) || 0));
  if (metering) declareJsonLength(c);
  const mayUseGrant = limits.kind === "allowed" && admitsWithGrant(c.req.path, hooks);
  const granted = mayUseGrant ? admissionGrants.take(c.env, tenant, defer) : undefined;
  if (granted) {
    progress.step = "handler";
    await runGranted(c, next, granted, { headers, hooks, metering, defer });
    return;
  }
  const runtime = runtimeFor(c.env, tenant);
  // A map read runs beside its admission rather than after it (src/edge/admitted-read.ts).
  const overlapped = overlapsAdmission(c.req.method, c.req.path);
  const ask = mayUseGrant ? admissionGrants.piggyback(c.env, tenant) : undefined;
  const request: AdmitRequest = {
    context: tenant,
    write,
    backstop: limits.kind === "backstop",
    deadline: Date.now() + ADMIT_TIMEOUT_MS,
    ...(ask ? { grant: { grantId: ask.grantId, want: ask.want } } : {}),
  };
  const admission = timer
    .phase("admit", () => timer.roundTrip(overlapped ? "runtime-overlapped" : "runtime", () => admitWithin(runtime, request, hooks, defer)))
    .catch((error: unknown): AdmitResult => {
      if (!(error instanceof DeadlineExceeded)) throw error;
      // A delay a test asked for is an expected timeout: logged apart from the real ones.
      const message = hooks.admitDelayMs ? "runtime admission timed out (delay asked for by a test)" : "runtime admission timed out";
      log.error(message, { requestId: c.get("requestId"), tenantId: tenant.id });
      return { ok: false, code: "too_late", retryAfterMs: 1000, context: tenant };
    });

  if (ask) {
    const settle = (answer: GrantResult | null | "unknown") => admissionGrants.settle(c.env, tenant.id, ask.grantId, answer, ask.sentAt, defer);
    defer(admission.then((admitted) => settle(admitted.ok ? (admitted.grant ?? null) : admitted.code === "too_late" ? "unknown" : null), () => settle("unknown")));
  }

  /** The runtime object's answer, authoritative: a refusal is thrown; an admission gives the lease and the context to use. */
  const accept = (admitted: AdmitResult): { leaseId: string; context: TenantContext } => {
    if (!admitted.ok) {
      if (admitted.code === "rate_limited") {
        // The runtime object's backstop bucket refused: say so in the headers too.
        const empty = { ...limits.state, burst: { ...limits.state.burst, remaining: 0, resetMs: admitted.retryAfterMs } };
        Object.assign(headers, rateLimitHeaders(empty, tenant.limits));
      }
      const refusal = REFUSAL[admitted.code];
      // The runtime object counted its refusal, except a timeout, which only this side saw.
      if (admitted.code === "too_late") return refuseAtEdge("too_late", refusal.code, refusal.detail, admitted.retryAfterMs);
      return refuse(refusal.code, refusal.detail, admitted.retryAfterMs);
    }
    if (limits.kind === "backstop") oweQuota(tenant.id, tenant.limits);
    if (admitted.waitedMs) timer.addPhase("queue", admitted.waitedMs);
    if (admitted.context.configVersion > tenant.configVersion) {
      // The runtime object heard of a change before this isolate's cache did: adopt it now.
      tenantContextCache(c.env).set(tenant.id, admitted.context);
      Object.assign(headers, rateLimitHeaders(limits.state, admitted.context.limits));
    }
    return { leaseId: admitted.leaseId, context: admitted.context };
  };

  const finish = async (leaseId: string): Promise<void> => {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    // The body guard runs after this middleware: what it measured is known only now.
    const usage = { ...c.get("usage"), bytesIn: c.get("requestBytes") ?? c.get("usage").bytesIn };
    if (hooks.skipRelease) return;
    const streamed = c.get("streamed");
    const measured = streamed
      ? holdLeaseWhile(streamed, () => runtime.renewLease(leaseId), leaseTtlMs(c.env))
      : Promise.resolve({ bytesOut: metering ? await measureAnswer(c) : 0 });
    defer(
      measured
        .then((bytes) => runtime.release(tenant.id, leaseId, { ...usage, ...bytes, outcome: outcomeOfStatus(c.res.status) }))
        .catch((error: unknown) => log.error("lease release failed", { requestId: c.get("requestId"), tenantId: tenant.id, error })),
    );
  };

  if (overlapped) {
    // The read goes out with the edge's copy of the tenant while the runtime object decides. Its
    // answer stands only if the runtime object admits the request; a refusal replaces it.
    c.set("tenant", tenant);
    c.set("admittedTenant", admission.then((admitted) => (admitted.ok ? admitted.context : undefined)));
    progress.step = "handler";
    await next(); // Hono turns a handler's error into its response below this middleware
    const { leaseId } = accept(await admission);
    if (hooks.holdMs) await sleep(hooks.holdMs);
    await finish(leaseId);
    return;
  }

  const { leaseId, context } = accept(await admission);
  c.set("tenant", context);
  progress.step = "handler";
  if (hooks.holdMs) await sleep(hooks.holdMs);
  try {
    await next();
  } finally {
    await finish(leaseId);
  }
}

/**
 * Requests an isolate may admit with a grant: all but the realtime upgrade (the runtime object
 * takes the socket itself) and requests whose test hooks act on the runtime object's admission.
 */
function admitsWithGrant(path: string, hooks: RequestTestHooks): boolean {
  return path !== REALTIME_PATH && hooks.admitDelayMs === 0 && !hooks.skipRelease;
}

/**
 * A request admitted with the isolate's grant (src/edge/admission-grants.ts): no call to the
 * runtime object. Its usage goes to the isolate's tally once answered (a streamed response's once
 * streamed), then its slot goes back.
 */
async function runGranted(
  c: Context<AppEnv>,
  next: () => Promise<void>,
  grant: Grant,
  options: { headers: Record<string, string>; hooks: RequestTestHooks; metering: boolean; defer: (p: Promise<unknown>) => void },
): Promise<void> {
  const { headers, hooks, metering, defer } = options;
  const tenant = c.get("tenant");
  const context = grant.context.configVersion >= tenant.configVersion ? grant.context : tenant;
  if (context.configVersion > tenant.configVersion) tenantContextCache(c.env).set(tenant.id, context);
  c.set("tenant", context);
  c.get("timer").addPhase("admit", 0);
  if (metering) edgeTally.started(c.env, context, defer);
  let answered = false;
  try {
    if (hooks.holdMs) await sleep(hooks.holdMs);
    await next();
    answered = true;
  } finally {
    if (answered) for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    const usage = { ...c.get("usage"), bytesIn: c.get("requestBytes") ?? c.get("usage").bytesIn };
    const done = (bytes: { bytesOut: number }) => {
      if (metering) edgeTally.answered(c.env, context, { ...usage, ...bytes, outcome: outcomeOfStatus(answered ? c.res.status : 500) }, defer);
      admissionGrants.give(c.env, grant, defer);
    };
    const streamed = c.get("streamed");
    if (streamed) {
      const held = holdLeaseWhile(streamed, () => runtimeFor(c.env, grant.placement).renewLease(grant.id), leaseTtlMs(c.env));
      defer(held.catch(() => ({ bytesOut: 0 })).then(done));
    } else {
      // Settled here, not in a `waitUntil`: one costs a read more CPU than its whole tally.
      // An answer that could not be measured counts 0 bytes, as a streamed one that failed does.
      const bytesOut = metering && answered ? await measureAnswer(c).catch(() => 0) : 0;
      done({ bytesOut });
    }
  }
}
