import { fromBase64, toHex } from "../lib/encoding.ts";

/** The platform's wrapping keys as the Worker sees them. MASTER_KEY_PREVIOUS is set only during a rotation. */
export interface MasterKeyEnv {
  MASTER_KEY: string;
  MASTER_KEY_PREVIOUS?: string;
}

export interface MasterKey {
  /** `mk_` + the first 16 hex digits of SHA-256 of the 32 raw key bytes: names the key, reveals nothing. */
  id: string;
  /** base64 of the 32 raw bytes, as configured. */
  secret: string;
}

export interface MasterKeyRing {
  current: MasterKey;
  previous?: MasterKey;
}

export const MASTER_KEY_ID = /^mk_[0-9a-f]{16}$/;

export class MasterKeyConfigError extends Error {
  override readonly name = "MasterKeyConfigError";
}

const ids = new Map<string, Promise<string>>();

function rawKey(name: string, base64: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(base64.trim());
  } catch {
    throw new MasterKeyConfigError(`${name} is not base64`);
  }
  if (bytes.byteLength !== 32) throw new MasterKeyConfigError(`${name} must be base64 of 32 bytes, not ${bytes.byteLength}`);
  return bytes;
}

export function masterKeyId(name: string, base64: string): Promise<string> {
  let id = ids.get(base64);
  if (!id) {
    const bytes = rawKey(name, base64);
    id = crypto.subtle.digest("SHA-256", bytes).then((digest) => `mk_${toHex(digest).slice(0, 16)}`);
    ids.set(base64, id);
  }
  return id;
}

async function load(name: string, base64: string): Promise<MasterKey> {
  return { id: await masterKeyId(name, base64), secret: base64.trim() };
}

/** Throws MasterKeyConfigError when MASTER_KEY is missing or malformed (a deployment fault). */
export async function masterKeyRing(env: MasterKeyEnv): Promise<MasterKeyRing> {
  if (!env.MASTER_KEY) throw new MasterKeyConfigError("MASTER_KEY is not set");
  const current = await load("MASTER_KEY", env.MASTER_KEY);
  const previousSecret = env.MASTER_KEY_PREVIOUS?.trim();
  if (!previousSecret) return { current };
  const previous = await load("MASTER_KEY_PREVIOUS", previousSecret);
  return previous.id === current.id ? { current } : { current, previous };
}

/** The configured master key with this id, if any. */
export function masterKeyById(ring: MasterKeyRing, id: string): MasterKey | undefined {
  if (ring.current.id === id) return ring.current;
  if (ring.previous?.id === id) return ring.previous;
  return undefined;
}
