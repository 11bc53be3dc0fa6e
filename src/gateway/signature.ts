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

/** The values of the covered `tenantry-*` fields, by name. */
export type CoveredHeaders = Record<(typeof COVERED_COMPONENTS)[number] & `tenantry-${string}`, string>;

export interface SignatureInput {
  method: string;
  targetUri: string;
  /** Header values of the covered `tenantry-*` fields (a Headers object, or the values themselves). */
  headers: Headers | CoveredHeaders;
  created: number;
  keyId: string;
}

/** `("@method" "@target-uri" …)`: the same for every request, so built once. */
const COMPONENT_LIST = `(${COVERED_COMPONENTS.map((name) => `"${name}"`).join(" ")})`;

/** `;keyid="…";alg="hmac-sha256"` per key id (a deployment has one or two). */
const keyIdParams = new Map<string, string>();

function keyParams(keyId: string): string {
  let params = keyIdParams.get(keyId);
  if (params === undefined) {
    params = `;keyid="${keyId.replace(/[\\"]/g, "\\$&")}";alg="hmac-sha256"`;
    if (keyIdParams.size < 16) keyIdParams.set(keyId, params);
  }
  return params;
}

/** `("@method" …);created=…;keyid="…";alg="hmac-sha256"`: the value of @signature-params. */
export function signatureParams(created: number, keyId: string): string {
  return `${COMPONENT_LIST};created=${created}${keyParams(keyId)}`;
}

const headerValue = (headers: SignatureInput["headers"], name: keyof CoveredHeaders): string =>
  (headers instanceof Headers ? (headers.get(name) ?? "") : headers[name]).trim();

/** The signature base (RFC 9421 §2.5): one line per covered component, then @signature-params. */
export function signatureBase(input: SignatureInput, params = signatureParams(input.created, input.keyId)): string {
  const { headers } = input;
  return (
    `"@method": ${input.method.toUpperCase()}\n` +
    `"@target-uri": ${input.targetUri}\n` +
    `"tenantry-tenant-id": ${headerValue(headers, "tenantry-tenant-id")}\n` +
    `"tenantry-credential": ${headerValue(headers, "tenantry-credential")}\n` +
    `"tenantry-scopes": ${headerValue(headers, "tenantry-scopes")}\n` +
    `"tenantry-request-id": ${headerValue(headers, "tenantry-request-id")}\n` +
    `"@signature-params": ${params}`
  );
}

const encoder = new TextEncoder();

/** Imported once per secret and isolate: importKey is the costly half of an HMAC. */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    // A rotation adds a secret now and then; never more than a few.
    if (keys.size >= 4) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/** The `Signature-Input` and `Signature` values of a request. */
export async function signatureHeaders(input: SignatureInput, secret: string): Promise<{ signatureInput: string; signature: string }> {
  const params = signatureParams(input.created, input.keyId);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(signatureBase(input, params)));
  return { signatureInput: `${SIGNATURE_LABEL}=${params}`, signature: `${SIGNATURE_LABEL}=:${base64(mac)}:` };
}
