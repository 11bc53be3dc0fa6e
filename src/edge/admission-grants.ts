import type { TenantContext } from "../core/tenant-context.ts";
import { GRANT_USE_MS, type GrantResult } from "../../durable-objects/tenant-runtime/admission.ts";
import { runtimeFor, runtimeObjectName, type RuntimePlacement } from "../../durable-objects/tenant-runtime/stub.ts";
import { edgeTally } from "./edge-tally.ts";
import { log } from "../lib/log.ts";

/**
 * Admission grants: an isolate admits a tenant's requests on its own, with a block of the tenant's
 * concurrency slots its runtime object gave it for a short while (GRANT_USE_MS), the way tokens
 * are taken ahead. A request admitted so makes no call to the runtime object, before or after:
 * its usage goes in the isolate's tally (edge-tally.ts). The block is renewed ahead, in the
 * background, while it is used; it grows to what the isolate used at once, and it ends (its slots
 * go back) once it has run out and nothing holds a slot.
 *
 * The promises hold as they did request by request:
 * - the concurrency limit: the runtime object counts a block's slots as held until it ends, so all
 *   isolates' blocks and single leases together stay within it; a request that finds the block
 *   full is admitted by the runtime object itself;
 * - the status gate: blocks are given only to active tenants with no migration under way, and one
 *   is used at most GRANT_USE_MS after it was asked for, so a status change holds everywhere
 *   within that and a round trip; a migration announced at its start sees every block end long
 *   before it pauses writes;
 * - exact usage: every admitted request is counted in the tally, reported within REPORT_AFTER_MS
 *   and before the block ends.
 */
interface Grant {
  /** The block's lease id in the runtime object, chosen here. */
  id: string;
  placement: RuntimePlacement;
  /** The runtime object's copy of the tenant when it last gave the block. */
  context: TenantContext;
  slots: number;
  inUse: number;
  /** No request is admitted with the block from then on (unless it is renewed). */
  usableUntil: number;
  /** When to ask again: renewal of a block in use, or after a refusal. */
  askAfter: number;
  asking: boolean;
  /** The runtime object may hold slots for it: end the block when it is done with. */
  held: boolean;
  /** Most slots in use at once, and requests that found the block full, since the last answer. */
  peak: number;
  overflow: number;
  /** When this isolate last admitted a request of the tenant through its runtime object. */
  seenAt: number;
}

/** Slots an isolate asks for at first; afterwards twice what it used at once. */
const FIRST_WANT = 2;
/**
 * A block is asked for only for a tenant whose previous request in this isolate came within a
 * block's life: one further apart could never use it, and a block would only add calls (grant,
 * reports, end) to a sparse tenant's requests, which are admitted request by request instead.
 */
const BUSY_GAP_MS = GRANT_USE_MS;
/** Entries kept for tenants that get no block (not active, migrating): pruned beyond this. */
const MAX_IDLE_ENTRIES = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AdmissionGrants {
  private readonly byTenant = new Map<string, Grant>();

  /**
   * A slot of the tenant's block, admitting the request here; undefined when there is none
   * (no block yet, run out, full): the request then goes to the runtime object as before, and
   * asks for a block with it (`piggyback`). A block in use is renewed ahead, in the background.
   */
  take(env: Env, tenant: TenantContext, defer: (p: Promise<unknown>) => void, now = Date.now()): Grant | undefined {
    const grant = this.byTenant.get(tenant.id);
    if (!grant || runtimeObjectName(env, grant.placement) !== runtimeObjectName(env, tenant)) return undefined;
    const newer = tenant.configVersion > grant.context.configVersion;
    if (now >= grant.usableUntil || newer) return undefined;
    if (grant.inUse >= grant.slots) {
      grant.overflow++;
      return undefined;
    }
    if (!grant.asking && now >= grant.askAfter) this.renew(env, grant, defer);
    grant.inUse++;
    grant.peak = Math.max(grant.peak, grant.inUse);
    return grant;
  }

  /**
   * For a request the runtime object admits itself: the block to ask for with it, if one is due.
   * Asked with the request, not beside it, so the block never takes the request's own slot.
   */
  piggyback(env: Env, tenant: TenantContext, now = Date.now()): { grantId: string; want: number; sentAt: number } | undefined {
    let grant = this.byTenant.get(tenant.id);
    if (grant && runtimeObjectName(env, grant.placement) !== runtimeObjectName(env, tenant)) grant = undefined;
    grant ??= this.entry(tenant);
    const busy = now - grant.seenAt <= BUSY_GAP_MS;
    grant.seenAt = now;
    if (!busy && !grant.held) return undefined;
    const newer = tenant.configVersion > grant.context.configVersion;
    // A block that requests found full is grown with the next one, not at half its life: a tenant
    // whose load rises would otherwise go to the runtime object request by request until then.
    const tooSmall = grant.overflow > 0;
    if (grant.asking || (now < grant.askAfter && !newer && !tooSmall)) return undefined;
    grant.asking = true;
    return { grantId: grant.id, want: this.want(grant), sentAt: now };
  }

  /**
   * The runtime object's answer to a piggybacked ask: null when the request was refused (no
   * block was looked at), "unknown" when it was not answered.
   */
  settle(env: Env, tenantId: string, grantId: string, result: GrantResult | null | "unknown", sentAt: number, defer: (p: Promise<unknown>) => void): void {
    const grant = this.byTenant.get(tenantId);
    if (!grant || grant.id !== grantId) return;
    grant.asking = false;
    if (result === "unknown") this.refused(grant, sentAt, true);
    else if (result) this.answered(env, grant, result, sentAt, defer);
    else this.refused(grant, sentAt);
    this.endIfDone(env, grant, defer);
  }

  /** The request admitted with `grant` is answered (its usage already tallied). */
  give(env: Env, grant: Grant, defer: (p: Promise<unknown>) => void): void {
    grant.inUse--;
    this.endIfDone(env, grant, defer);
  }

  private entry(tenant: TenantContext): Grant {
    if (this.byTenant.size >= MAX_IDLE_ENTRIES) this.prune();
    const grant: Grant = {
      id: crypto.randomUUID(),
      placement: { id: tenant.id, isolation: tenant.isolation, region: tenant.region },
      context: tenant,
      slots: 0,
      inUse: 0,
      usableUntil: 0,
      askAfter: 0,
      asking: false,
      held: false,
      peak: 0,
      overflow: 0,
      seenAt: 0,
    };
    this.byTenant.set(tenant.id, grant);
    return grant;
  }

  private want(grant: Grant): number {
    return grant.held || grant.peak > 0 ? Math.max(1, 2 * (grant.peak + grant.overflow)) : FIRST_WANT;
  }

  /** Renews a block in use, in the background, before it runs out. */
  private renew(env: Env, grant: Grant, defer: (p: Promise<unknown>) => void): void {
    grant.asking = true;
    const sentAt = Date.now();
    const answer = (runtimeFor(env, grant.placement).grant({ context: grant.context, grantId: grant.id, want: this.want(grant) }) as Promise<GrantResult>).then(
      (result) => this.answered(env, grant, result, sentAt, defer),
      (error: unknown) => {
        log.warn("admission grant not renewed; admitting request by request", { tenantId: grant.placement.id, error });
        this.refused(grant, sentAt, true);
      },
    );
    defer(
      answer.finally(() => {
        grant.asking = false;
        this.endIfDone(env, grant, defer);
      }),
    );
  }

  private answered(env: Env, grant: Grant, result: GrantResult, sentAt: number, defer: (p: Promise<unknown>) => void): void {
    grant.context = result.context;
    grant.peak = grant.inUse;
    grant.overflow = 0;
    if (!result.ok) return this.refused(grant, sentAt);
    grant.held = true;
    grant.slots = result.slots;
    grant.usableUntil = sentAt + result.useForMs;
    grant.askAfter = sentAt + result.useForMs / 2;
    // Ends the block when it runs out unused (renewed in between, this finds it usable and leaves it).
    defer(sleep(grant.usableUntil - Date.now() + 1).then(() => this.endIfDone(env, grant, defer)));
  }

  /** No block now: requests go to the runtime object; ask again after a while. */
  private refused(grant: Grant, sentAt: number, unanswered = false): void {
    // An unanswered ask may have been given a block: ending it is harmless if not.
    if (unanswered) grant.held = true;
    grant.usableUntil = 0;
    grant.slots = 0;
    grant.askAfter = sentAt + 500;
  }

  /** A block run out, with no slot in use and no question under way, goes back. */
  private endIfDone(env: Env, grant: Grant, defer: (p: Promise<unknown>) => void): void {
    if (grant.inUse > 0 || grant.asking || Date.now() < grant.usableUntil || !grant.held) return;
    grant.held = false;
    if (this.byTenant.get(grant.placement.id) === grant) this.byTenant.delete(grant.placement.id);
    // The usage of the block's requests first: a usage flush waits for the block to end.
    const ended = edgeTally
      .report(env, runtimeObjectName(env, grant.placement))
      .then(() => runtimeFor(env, grant.placement).endGrant(grant.id))
      .catch((error: unknown) => log.warn("admission grant not ended; its lease will expire", { tenantId: grant.placement.id, error }));
    defer(ended);
  }

  private prune(): void {
    for (const [tenantId, grant] of this.byTenant) {
      if (!grant.held && !grant.asking && grant.inUse === 0) this.byTenant.delete(tenantId);
    }
  }
}

export type { Grant };

/** Per isolate. */
export const admissionGrants = new AdmissionGrants();
