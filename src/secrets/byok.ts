import { z } from "@hono/zod-openapi";
import { fromBase64 } from "../lib/encoding.ts";

/**
 * Bring your own key (enterprise): the tenant's data key is wrapped with a 32-byte key the tenant
 * holds. The platform never stores it: callers send it with each request that needs the data key.
 */
export const WRAPPING_KEY_HEADER = "x-tenant-wrapping-key";

const BYOK_PREFIX = "byok:";

export const ByokKeyId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "Use 1 to 64 of A-Z a-z 0-9 _ . : -")
  .openapi({ description: "A label for the tenant's key, chosen by the tenant (e.g. its KMS key version).", example: "acme-2026-07" });

/** base64 (standard or url-safe, padding optional) of exactly 32 bytes; parsed into the bytes. */
export const WrappingKeyMaterial = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const bytes = decodeKey(text);
    if (!bytes) {
      ctx.addIssue({ code: "custom", message: "Must be base64 of exactly 32 bytes." });
      return z.NEVER;
    }
    return bytes;
  });

export function decodeKey(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) return null;
  try {
    const bytes = fromBase64(text.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/") + "=");
    return bytes.byteLength === 32 ? bytes : null;
  } catch {
    return null;
  }
}

export const byokWrappingId = (keyId: string) => `${BYOK_PREFIX}${keyId}`;
export const isByokWrapping = (wrappingKeyId: string) => wrappingKeyId.startsWith(BYOK_PREFIX);
export const byokKeyIdOf = (wrappingKeyId: string) => wrappingKeyId.slice(BYOK_PREFIX.length);

/** Only enterprise tenants may wrap with their own key. */
export const byokAllowed = (plan: string) => plan === "enterprise";
