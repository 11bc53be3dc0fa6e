import { fromBase64, toBase64 } from "../lib/encoding.ts";
import { open, seal } from "../lib/sealed-box.ts";
import { masterKeyId } from "../secrets/master-keys.ts";

const PURPOSE = "webhook-secret";
const PREFIX = "whsec_";
const SECRET_BYTES = 32;

interface MasterKeys {
  MASTER_KEY: string;
  MASTER_KEY_PREVIOUS?: string;
}

/** `whsec_` + base64 of 32 random bytes, the Standard Webhooks form. */
export function newWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** Sealed under the MASTER_KEY, bound to the endpoint: a box moved to another row does not open. */
export function sealSecret(env: MasterKeys, endpointId: string, secret: string): Promise<string> {
  return seal(env.MASTER_KEY, PURPOSE, secret, endpointId);
}

/** The id (`mk_…`) of the master key `sealSecret` uses now. */
export function sealingKeyId(env: MasterKeys): Promise<string> {
  return masterKeyId("MASTER_KEY", env.MASTER_KEY);
}

/** During a master-key rotation, boxes sealed under the retired key still open. */
export async function openSecret(env: MasterKeys, endpointId: string, box: string): Promise<string> {
  try {
    return await open(env.MASTER_KEY, PURPOSE, box, endpointId);
  } catch (error) {
    if (!env.MASTER_KEY_PREVIOUS) throw error;
    return open(env.MASTER_KEY_PREVIOUS, PURPOSE, box, endpointId);
  }
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    const raw = fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (hmacKeys.size > 256) hmacKeys.clear();
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` per
 * secret, space-separated (two during the 24 h after a rotation).
 */
export async function signatureHeader(secrets: string[], messageId: string, timestamp: number, body: string): Promise<string> {
  const content = new TextEncoder().encode(`${messageId}.${timestamp}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), content)))}`),
  );
  return signatures.join(" ");
}
