import { and, eq, lt } from "drizzle-orm";
import type { Transaction } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { canonicalJson } from "../lib/canonical-json.ts";
import { sha256Hex } from "../lib/encoding.ts";
import { open, seal } from "../lib/sealed-box.ts";
import { idempotencyKeys } from "./idempotency-schema.ts";

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
const PURPOSE = "idempotency";

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type Claim = { kind: "claimed" } | { kind: "replay"; response: StoredResponse };

export function requestFingerprint(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

/**
 * Claims `key` for this request inside the caller's transaction. A concurrent request with the
 * same key waits on the row lock, then sees the committed first response and replays it.
 */
export async function claimIdempotencyKey(
  tx: Transaction,
  masterKey: string,
  key: string,
  fingerprint: string,
  /** During a master-key rotation, replays sealed under the retired key must still open. */
  previousMasterKey?: string,
): Promise<Claim> {
  await tx.delete(idempotencyKeys).where(and(eq(idempotencyKeys.key, key), lt(idempotencyKeys.expiresAt, new Date())));
  const inserted = await tx
    .insert(idempotencyKeys)
    .values({ key, requestHash: fingerprint, expiresAt: new Date(Date.now() + IDEMPOTENCY_WINDOW_MS) })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return { kind: "claimed" };

  const [existing] = await tx.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key)).limit(1);
  if (!existing || existing.requestHash !== fingerprint) {
    throw new ApiError("conflict", "This Idempotency-Key was already used with a different request body.");
  }
  if (!existing.responseCiphertext) {
    throw new ApiError("conflict", "A request with this Idempotency-Key is still in progress.");
  }
  const text = await openWithEitherKey(masterKey, previousMasterKey, existing.responseCiphertext, key);
  return { kind: "replay", response: JSON.parse(text) as StoredResponse };
}

async function openWithEitherKey(current: string, previous: string | undefined, box: string, key: string): Promise<string> {
  try {
    return await open(current, PURPOSE, box, key);
  } catch (error) {
    if (!previous) throw error;
    return open(previous, PURPOSE, box, key);
  }
}

/** Stores the response (it carries a secret: encrypted, bound to the key) in the same transaction. */
export async function rememberResponse(tx: Transaction, masterKey: string, key: string, response: StoredResponse): Promise<void> {
  const ciphertext = await seal(masterKey, PURPOSE, JSON.stringify(response), key);
  await tx
    .update(idempotencyKeys)
    .set({ responseCiphertext: ciphertext, responseStatus: response.status })
    .where(eq(idempotencyKeys.key, key));
}
