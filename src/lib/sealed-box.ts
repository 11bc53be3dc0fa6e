import { fromBase64, toBase64 } from "./encoding.ts";

/**
 * AES-256-GCM under a key derived (HKDF) from the platform MASTER_KEY for one purpose.
 * Output: base64 of iv(12) ‖ ciphertext+tag. `context` is bound as additional data.
 */
const keys = new Map<string, Promise<CryptoKey>>();

const IV_BYTES = 12;
const utf8 = new TextEncoder();

/** A non-extractable AES-256-GCM key derived (HKDF-SHA-256) from `secret` for one purpose. Not cached. */
export async function deriveAesKey(secret: Uint8Array, purpose: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode(`tenantry/${purpose}`) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Cached per isolate: only for platform secrets (MASTER_KEY), never for keys a caller supplies. */
export function purposeKey(masterKeyBase64: string, purpose: string): Promise<CryptoKey> {
  const cacheKey = `${purpose}\u0000${masterKeyBase64}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = deriveAesKey(fromBase64(masterKeyBase64), purpose);
    keys.set(cacheKey, key);
    key.catch(() => keys.delete(cacheKey));
  }
  return key;
}

/** AES-GCM with a fresh random IV; the ciphertext carries the 16-byte tag. */
export async function encryptWith(key: CryptoKey, plaintext: Uint8Array, additionalData: Uint8Array): Promise<{ iv: Uint8Array; ciphertext: Uint8Array }> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, plaintext);
  return { iv, ciphertext: new Uint8Array(ciphertext) };
}

/** Throws (OperationError) when the key, IV, additional data or ciphertext do not match. */
export async function decryptWith(key: CryptoKey, iv: Uint8Array, ciphertext: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, ciphertext));
}

/** base64 of iv ‖ ciphertext+tag. */
export async function sealBytes(key: CryptoKey, plaintext: Uint8Array, context: string): Promise<string> {
  const { iv, ciphertext } = await encryptWith(key, plaintext, utf8.encode(context));
  const out = new Uint8Array(IV_BYTES + ciphertext.byteLength);
  out.set(iv, 0);
  out.set(ciphertext, IV_BYTES);
  return toBase64(out);
}

export async function openBytes(key: CryptoKey, box: string, context: string): Promise<Uint8Array> {
  const bytes = fromBase64(box);
  return decryptWith(key, bytes.slice(0, IV_BYTES), bytes.slice(IV_BYTES), utf8.encode(context));
}

export async function seal(masterKey: string, purpose: string, plaintext: string, context: string): Promise<string> {
  return sealBytes(await purposeKey(masterKey, purpose), utf8.encode(plaintext), context);
}

export async function open(masterKey: string, purpose: string, box: string, context: string): Promise<string> {
  return new TextDecoder().decode(await openBytes(await purposeKey(masterKey, purpose), box, context));
}
