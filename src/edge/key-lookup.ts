import { eq } from "drizzle-orm";
import type { HttpDatabase } from "../db/client.ts";
import type { Scope } from "../core/tenant-context.ts";
import { apiKeys } from "../keys/schema.ts";

/** What an edge needs to know about an API key, cacheable (no secret, no hash). */
export interface KeyRecord {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  expiresAt: number | null;
  revoked: boolean;
}

export async function loadKeyRecord(db: HttpDatabase, keyHash: string): Promise<KeyRecord | null> {
  const [row] = await db
    .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, scopes: apiKeys.scopes, expiresAt: apiKeys.expiresAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.hash, keyHash))
    .limit(1);
  if (!row) return null;
  return {
    keyId: row.id,
    tenantId: row.tenantId,
    scopes: row.scopes,
    expiresAt: row.expiresAt ? row.expiresAt.getTime() : null,
    revoked: row.revokedAt !== null,
  };
}
