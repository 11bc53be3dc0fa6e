import { fromBase64, toBase64 } from "../lib/encoding.ts";
import { decryptWith, deriveAesKey, encryptWith, openBytes, purposeKey, sealBytes } from "../lib/sealed-box.ts";
import type { MasterKey } from "./master-keys.ts";

/**
 * Envelope encryption, pure WebCrypto: a master key (or a tenant's own key) wraps the tenant's
 * data key; the data key encrypts the tenant's secrets. All AES-256-GCM with random 96-bit IVs.
 * Additional data binds each ciphertext to where it belongs: a data key to its tenant, a secret
 * to its tenant and name. Any mismatch or tampering fails with EnvelopeError.
 */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
}

const DATA_KEY_BYTES = 32;
const utf8 = new TextEncoder();

/** A key-encryption key derived from a platform master key (derivation cached per isolate). */
export function masterWrappingKey(master: MasterKey): Promise<CryptoKey> {
  return purposeKey(master.secret, "tenant-data-key");
}

/** A key-encryption key derived from a tenant's own 32 bytes; never cached. */
export function tenantWrappingKey(raw: Uint8Array): Promise<CryptoKey> {
  return deriveAesKey(raw, "tenant-byok-data-key");
}

const dataKeyContext = (tenantId: string) => `data-key\u0000${tenantId}`;
const secretContext = (tenantId: string, name: string) => utf8.encode(`secret\u0000${tenantId}\u0000${name}`);

export function newDataKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(DATA_KEY_BYTES));
}

export function wrapDataKey(kek: CryptoKey, raw: Uint8Array, tenantId: string): Promise<string> {
  return sealBytes(kek, raw, dataKeyContext(tenantId));
}

async function unwrapRaw(kek: CryptoKey, wrapped: string, tenantId: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = await openBytes(kek, wrapped, dataKeyContext(tenantId));
  } catch {
    throw new EnvelopeError("the data key does not unwrap with this key for this tenant");
  }
  if (raw.byteLength !== DATA_KEY_BYTES) throw new EnvelopeError("the unwrapped data key has the wrong size");
  return raw;
}

/** The tenant's data key as a non-extractable AES-GCM key. */
export async function unwrapDataKey(kek: CryptoKey, wrapped: string, tenantId: string): Promise<CryptoKey> {
  const raw = await unwrapRaw(kek, wrapped, tenantId);
  try {
    return await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  } finally {
    raw.fill(0);
  }
}

/** Re-wraps a data key under another key; the data key, and so every secret, stays as it is. */
export async function rewrapDataKey(from: CryptoKey, to: CryptoKey, wrapped: string, tenantId: string): Promise<string> {
  const raw = await unwrapRaw(from, wrapped, tenantId);
  try {
    return await wrapDataKey(to, raw, tenantId);
  } finally {
    raw.fill(0);
  }
}

export interface SealedSecret {
  /** base64 of ciphertext+tag. */
  ciphertext: string;
  /** base64 of the 12-byte IV. */
  iv: string;
}

export async function encryptSecret(dataKey: CryptoKey, tenantId: string, name: string, value: string): Promise<SealedSecret> {
  const { iv, ciphertext } = await encryptWith(dataKey, utf8.encode(value), secretContext(tenantId, name));
  return { ciphertext: toBase64(ciphertext), iv: toBase64(iv) };
}

export async function decryptSecret(dataKey: CryptoKey, tenantId: string, name: string, sealed: SealedSecret): Promise<string> {
  try {
    const plain = await decryptWith(dataKey, fromBase64(sealed.iv), fromBase64(sealed.ciphertext), secretContext(tenantId, name));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plain);
  } catch {
    throw new EnvelopeError("the secret does not decrypt under this tenant's data key and name");
  }
}
