import { fromBase64, toBase64 } from "./encoding.ts";

/**
 * AES-256-GCM under a key derived (HKDF) from the platform MASTER_KEY for one purpose.
 * Output: base64 of iv(12) ‖ ciphertext+tag. `context` is bound as additional data.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function purposeKey(masterKeyBase64: string, purpose: string): Promise<CryptoKey> {
  const cacheKey = `${purpose}\u0000${masterKeyBase64}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = (async () => {
      const master = await crypto.subtle.importKey("raw", fromBase64(masterKeyBase64), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(`tenantry/${purpose}`) },
        master,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(cacheKey, key);
  }
  return key;
}

export async function seal(masterKey: string, purpose: string, plaintext: string, context: string): Promise<string> {
  const key = await purposeKey(masterKey, purpose);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    key,
    new TextEncoder().encode(plaintext),
  );
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), 12);
  return toBase64(out);
}

export async function open(masterKey: string, purpose: string, box: string, context: string): Promise<string> {
  const key = await purposeKey(masterKey, purpose);
  const bytes = fromBase64(box);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: new TextEncoder().encode(context) },
    key,
    bytes.slice(12),
  );
  return new TextDecoder().decode(plain);
}
