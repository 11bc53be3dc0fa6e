import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record.ts";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { newId } from "../lib/ids.ts";
import { tenants } from "../core/tenant-table.ts";
import { portalLinks, portalSessions } from "./schema.ts";
import { hashPortalToken, looksLikePortalToken, newPortalToken } from "./tokens.ts";

export const PORTAL_INTENTS = ["overview", "usage", "keys"] as const;
export type PortalIntent = (typeof PORTAL_INTENTS)[number];

/** A session opened by a link lasts at most this long (the contract's ceiling). */
export const SESSION_TTL_SECONDS = 3600;

/** Path of the page a link opens; the token is the last segment. */
export const PORTAL_OPEN_PATH = "/portal/open";

export async function createPortalLink(
  db: Database,
  input: { tenantId: string; intent: PortalIntent; ttlSeconds: number; origin: string },
): Promise<{ url: string; expiresAt: string }> {
  const token = newPortalToken("pl");
  const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000);
  await db.transaction(async (tx) => {
    const [tenant] = await tx.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, input.tenantId)).for("share");
    if (!tenant) throw new ApiError("not_found", "No such tenant.");
    if (tenant.status === "deleted") throw new ApiError("conflict", "The tenant is deleted; it has no portal.");
    const id = newId("pln");
    await tx.insert(portalLinks).values({ id, tenantId: input.tenantId, tokenHash: await hashPortalToken(token), intent: input.intent, expiresAt });
    await recordAudit(tx, {
      tenantId: input.tenantId,
      actor: "admin",
      action: "portal.link_created",
      details: { linkId: id, intent: input.intent, expiresAt: expiresAt.toISOString() },
    });
  });
  return { url: `${input.origin}${PORTAL_OPEN_PATH}/${token}`, expiresAt: expiresAt.toISOString() };
}

export interface OpenedSession {
  token: string;
  tenantId: string;
  intent: PortalIntent;
  expiresAt: Date;
}

/**
 * Consumes a link and opens its session. The link is marked used by the same conditional UPDATE
 * that checks it, so two openings racing each other cannot both win.
 */
export async function openPortalLink(db: Database, linkToken: string): Promise<OpenedSession> {
  const refused = new ApiError("unauthenticated", "This portal link has already been used or has expired. Ask your operator for a new one.");
  if (!looksLikePortalToken("pl", linkToken)) throw refused;
  const tokenHash = await hashPortalToken(linkToken);
  const sessionToken = newPortalToken("ps");
  const sessionHash = await hashPortalToken(sessionToken);
  return db.transaction(async (tx) => {
    const [link] = await tx
      .update(portalLinks)
      .set({ usedAt: sql`now()` })
      .where(and(eq(portalLinks.tokenHash, tokenHash), isNull(portalLinks.usedAt), gt(portalLinks.expiresAt, sql`now()`)))
      .returning();
    if (!link) throw refused;
    const [tenant] = await tx.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, link.tenantId));
    if (!tenant || tenant.status === "deleted") throw refused;
    const id = newId("pss");
    const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000);
    await tx.insert(portalSessions).values({ id, tenantId: link.tenantId, linkId: link.id, tokenHash: sessionHash, intent: link.intent, expiresAt });
    await recordAudit(tx, {
      tenantId: link.tenantId,
      actor: `portal:${id}`,
      action: "portal.opened",
      details: { linkId: link.id, sessionId: id, intent: link.intent, expiresAt: expiresAt.toISOString() },
    });
    return { token: sessionToken, tenantId: link.tenantId, intent: link.intent as PortalIntent, expiresAt };
  });
}

/** Cron: drops links and sessions that can no longer be used (an hour past their expiry, kept that long for support look-ups). */
export async function purgeExpiredPortalRows(db: Database, now: Date): Promise<{ links: number; sessions: number }> {
  const cutoff = new Date(now.getTime() - SESSION_TTL_SECONDS * 1000);
  const links = await db.delete(portalLinks).where(lt(portalLinks.expiresAt, cutoff)).returning({ id: portalLinks.id });
  const sessions = await db.delete(portalSessions).where(lt(portalSessions.expiresAt, cutoff)).returning({ id: portalSessions.id });
  return { links: links.length, sessions: sessions.length };
}
