/**
 * RFC 9421 HTTP Message Signatures over what an origin must be able to trust: the method, the
 * target URI and the tenant headers the gateway adds. HMAC-SHA256 with GATEWAY_SIGNING_SECRET.
 * sdk/src/gateway.ts verifies these; test/integration/gateway-signature.test.ts checks both
 * against an independent implementation.
 */
export const SIGNATURE_LABEL = "tenantry";

export const COVERED_COMPONENTS = [
  "@method",
  "@target-uri",
  "tenantry-tenant-id",
  "tenantry-credential",
  "tenantry-scopes",
  "tenantry-request-id",
] as const;

export interface SignatureInput {
  method: string;
  targetUri: string;
  /** Header values of the covered `tenantry-*` fields. */
  headers: Headers;
  created: number;
  keyId: string;
}

/** `("@method" …);created=…;keyid="…";alg="hmac-sha256"`: the value of @signature-params. */
export function signatureParams(created: number, keyId: string): string {
  const components = COVERED_COMPONENTS.map((name) => `"${name}"`).join(" ");
  return `(${components});created=${created};keyid="${keyId.replace(/[\\"]/g, "\\$&")}";alg="hmac-sha256"`;
}

/** The signature base (RFC 9421 §2.5): one line per covered component, then @signature-params. */
export function signatureBase(input: SignatureInput): string {
  const lines = COVERED_COMPONENTS.map((name) => {
    const value = name === "@method" ? input.method.toUpperCase() : name === "@target-uri" ? input.targetUri : (input.headers.get(name) ?? "").trim();
    return `"${name}": ${value}`;
  });
  lines.push(`"@signature-params": ${signatureParams(input.created, input.keyId)}`);
  return lines.join("\n");
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Adds `Signature-Input` and `Signature` to `input.headers`. */
export async function signRequest(input: SignatureInput, secret: string): Promise<void> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(signatureBase(input)));
  input.headers.set("Signature-Input", `${SIGNATURE_LABEL}=${signatureParams(input.created, input.keyId)}`);
  input.headers.set("Signature", `${SIGNATURE_LABEL}=:${base64(mac)}:`);
}
