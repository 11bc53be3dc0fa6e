import { base58, sha256Hex } from "../lib/encoding.ts";

/** A bearer secret with its prefix: `pl_` for links, `ps_` for sessions; 256 random bits. */
export function newPortalToken(prefix: "pl" | "ps"): string {
  return `${prefix}_${base58(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Tokens are stored only as this hash. */
export const hashPortalToken = (token: string): Promise<string> => sha256Hex(token);

/** Cheap shape check before any database round trip. */
export const looksLikePortalToken = (prefix: "pl" | "ps", token: string): boolean =>
  new RegExp(`^${prefix}_[1-9A-HJ-NP-Za-km-z]{30,60}$`).test(token);
