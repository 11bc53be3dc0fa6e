import type { Scope } from "../core/tenant-context.ts";
import type { apiKeys } from "./schema.ts";

type KeyRow = typeof apiKeys.$inferSelect;

export const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The contract's key object, never its secret. */
export function keyView(row: KeyRow) {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    start: row.start,
    expiresAt: iso(row.expiresAt),
    createdAt: row.createdAt.toISOString(),
    revokedAt: iso(row.revokedAt),
  };
}
