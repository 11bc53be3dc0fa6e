import { base58, sha256Hex } from "../lib/encoding.ts";

import type { Scope } from "../core/tenant-context.ts";

export interface GeneratedKey {
  /** Shown once to the caller, never stored. */
  secret: string;
  hash: string;
  start: string;
}

/** `tk_` + base58 of 192 random bits. */
export async function generateApiKey(): Promise<GeneratedKey> {
  const secret = `tk_${base58(crypto.getRandomValues(new Uint8Array(24)))}`;
  return { secret, hash: await hashApiKey(secret), start: secret.slice(0, 7) };
}

export function hashApiKey(secret: string): Promise<string> {
  return sha256Hex(secret);
}

export function looksLikeApiKey(credential: string): boolean {
  return /^tk_[1-9A-HJ-NP-Za-km-z]{16,64}$/.test(credential);
}
