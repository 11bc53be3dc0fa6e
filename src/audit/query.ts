import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditEvents } from "./schema.ts";

export interface AuditFilter {
  action?: string;
  /** Exclusive: only events older than this id (ids are time-ordered). */
  beforeId?: string;
  limit: number;
}

/** A tenant's events, newest first; one extra row tells whether another page exists. */
export async function listAuditEvents(db: Database, tenantId: string, filter: AuditFilter) {
  const conditions: SQL[] = [eq(auditEvents.tenantId, tenantId)];
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.beforeId) conditions.push(lt(auditEvents.id, filter.beforeId));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return {
    events: page.map((row) => ({ id: row.id, at: row.at.toISOString(), actor: row.actor, action: row.action, details: row.details })),
    lastId: page.at(-1)?.id,
    more: rows.length > filter.limit,
  };
}
