import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/lib/encoding.ts";
import { open, seal } from "../../src/lib/sealed-box.ts";
import { decodeKey } from "../../src/secrets/byok.ts";
import {
  decryptSecret,
  encryptSecret,
  EnvelopeError,
  masterWrappingKey,
  newDataKey,
  rewrapDataKey,
  tenantWrappingKey,
  unwrapDataKey,
  wrapDataKey,
} from "../../src/secrets/envelope.ts";
import { MasterKeyConfigError, masterKeyById, masterKeyRing, MASTER_KEY_ID } from "../../src/secrets/master-keys.ts";

const randomKey = () => toBase64(crypto.getRandomValues(new Uint8Array(32)));
const TENANT = "ten_01jh5k7x9q0000000000000000";
const OTHER = "ten_01jh5k7x9q1111111111111111";

function flipByte(base64: string, index: number): string {
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  bytes[index % bytes.length]! ^= 0x01;
  return toBase64(bytes);
}

/** A data key wrapped under a fresh master key, as provisioning would make it. */
async function provisioned(tenantId = TENANT) {
  const ring = await masterKeyRing({ MASTER_KEY: randomKey() });
  const wrapped = await wrapDataKey(await masterWrappingKey(ring.current), newDataKey(), tenantId);
  return { ring, wrapped, dataKey: await unwrapDataKey(await masterWrappingKey(ring.current), wrapped, tenantId) };
}

describe("master keys", () => {
  it("names each key by a short digest and keeps the previous key only when it differs", async () => {
    const current = randomKey();
    const previous = randomKey();
    const ring = await masterKeyRing({ MASTER_KEY: current, MASTER_KEY_PREVIOUS: previous });
    expect(ring.current.id).toMatch(MASTER_KEY_ID);
    expect(ring.previous?.id).toMatch(MASTER_KEY_ID);
    expect(ring.previous?.id).not.toBe(ring.current.id);
    expect((await masterKeyRing({ MASTER_KEY: current })).current.id).toBe(ring.current.id);
    expect(masterKeyById(ring, ring.previous!.id)?.secret).toBe(previous);
    expect(masterKeyById(ring, "mk_0000000000000000")).toBeUndefined();
    expect((await masterKeyRing({ MASTER_KEY: current, MASTER_KEY_PREVIOUS: current })).previous).toBeUndefined();
    expect((await masterKeyRing({ MASTER_KEY: current, MASTER_KEY_PREVIOUS: "" })).previous).toBeUndefined();
  });

  it("refuses a missing or malformed master key with a configuration error", async () => {
    await expect(masterKeyRing({ MASTER_KEY: "" })).rejects.toBeInstanceOf(MasterKeyConfigError);
    await expect(masterKeyRing({ MASTER_KEY: toBase64(new Uint8Array(16)) })).rejects.toBeInstanceOf(MasterKeyConfigError);
    await expect(masterKeyRing({ MASTER_KEY: "not base64!" })).rejects.toBeInstanceOf(MasterKeyConfigError);
    await expect(masterKeyRing({ MASTER_KEY: randomKey(), MASTER_KEY_PREVIOUS: "short" })).rejects.toBeInstanceOf(MasterKeyConfigError);
  });
});

describe("secrets under a data key", () => {
  it("round-trips any text, unicode, a BOM and the empty string", async () => {
    const { dataKey } = await provisioned();
    for (const value of ["sk_live_abc", "ключ 🔑 秘密 \u0000 tab\t", "\uFEFFbom", "", "x".repeat(65_536)]) {
      const sealed = await encryptSecret(dataKey, TENANT, "name", value);
      expect(await decryptSecret(dataKey, TENANT, "name", sealed)).toBe(value);
    }
  });

  it("uses a fresh random IV each time, so equal values give unrelated ciphertexts", async () => {
    const { dataKey } = await provisioned();
    const a = await encryptSecret(dataKey, TENANT, "n", "same value");
    const b = await encryptSecret(dataKey, TENANT, "n", "same value");
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(atob(a.iv)).toHaveLength(12);
  });

  it("fails with EnvelopeError under another name or tenant (additional data)", async () => {
    const { dataKey } = await provisioned();
    const sealed = await encryptSecret(dataKey, TENANT, "exchange.key", "secret");
    await expect(decryptSecret(dataKey, TENANT, "exchange.key2", sealed)).rejects.toBeInstanceOf(EnvelopeError);
    await expect(decryptSecret(dataKey, OTHER, "exchange.key", sealed)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("fails with EnvelopeError under another tenant's data key", async () => {
    const { dataKey } = await provisioned(TENANT);
    const other = await provisioned(OTHER);
    const sealed = await encryptSecret(dataKey, TENANT, "n", "secret");
    await expect(decryptSecret(other.dataKey, TENANT, "n", sealed)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("detects any tampering with ciphertext, tag or IV, and garbage", async () => {
    const { dataKey } = await provisioned();
    const sealed = await encryptSecret(dataKey, TENANT, "n", "a secret value");
    const length = atob(sealed.ciphertext).length;
    for (const index of [0, 5, length - 1]) {
      await expect(decryptSecret(dataKey, TENANT, "n", { ...sealed, ciphertext: flipByte(sealed.ciphertext, index) })).rejects.toBeInstanceOf(EnvelopeError);
    }
    await expect(decryptSecret(dataKey, TENANT, "n", { ...sealed, iv: flipByte(sealed.iv, 3) })).rejects.toBeInstanceOf(EnvelopeError);
    await expect(decryptSecret(dataKey, TENANT, "n", { ...sealed, ciphertext: "%%%" })).rejects.toBeInstanceOf(EnvelopeError);
    await expect(decryptSecret(dataKey, TENANT, "n", { ...sealed, ciphertext: "" })).rejects.toBeInstanceOf(EnvelopeError);
  });
});

describe("data keys under a master key", () => {
  it("does not unwrap for another tenant, under another master key, or tampered", async () => {
    const { ring, wrapped } = await provisioned();
    const kek = await masterWrappingKey(ring.current);
    const otherRing = await masterKeyRing({ MASTER_KEY: randomKey() });
    await expect(unwrapDataKey(kek, wrapped, OTHER)).rejects.toBeInstanceOf(EnvelopeError);
    await expect(unwrapDataKey(await masterWrappingKey(otherRing.current), wrapped, TENANT)).rejects.toBeInstanceOf(EnvelopeError);
    await expect(unwrapDataKey(kek, flipByte(wrapped, 20), TENANT)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("yields a data key that cannot be exported", async () => {
    const { dataKey } = await provisioned();
    expect(dataKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey("raw", dataKey)).rejects.toThrow();
  });
});

describe("master key rotation (re-wrap)", () => {
  it("re-wraps the data key under the new master key; old secrets decrypt unchanged", async () => {
    const oldKey = randomKey();
    const newKey = randomKey();
    const before = await masterKeyRing({ MASTER_KEY: oldKey });
    const wrappedOld = await wrapDataKey(await masterWrappingKey(before.current), newDataKey(), TENANT);
    const dataKeyOld = await unwrapDataKey(await masterWrappingKey(before.current), wrappedOld, TENANT);
    const sealed = await encryptSecret(dataKeyOld, TENANT, "api.key", "value-from-before");

    // During the rotation: MASTER_KEY = new, MASTER_KEY_PREVIOUS = old. The row names the old id.
    const during = await masterKeyRing({ MASTER_KEY: newKey, MASTER_KEY_PREVIOUS: oldKey });
    const oldMaster = masterKeyById(during, before.current.id);
    expect(oldMaster).toBe(during.previous);
    const stillReadable = await unwrapDataKey(await masterWrappingKey(oldMaster!), wrappedOld, TENANT);
    expect(await decryptSecret(stillReadable, TENANT, "api.key", sealed)).toBe("value-from-before");

    const wrappedNew = await rewrapDataKey(await masterWrappingKey(during.previous!), await masterWrappingKey(during.current), wrappedOld, TENANT);
    expect(wrappedNew).not.toBe(wrappedOld);

    // After: MASTER_KEY_PREVIOUS removed. The same secret ciphertext opens under the re-wrapped key.
    const after = await masterKeyRing({ MASTER_KEY: newKey });
    const dataKeyNew = await unwrapDataKey(await masterWrappingKey(after.current), wrappedNew, TENANT);
    expect(await decryptSecret(dataKeyNew, TENANT, "api.key", sealed)).toBe("value-from-before");
    expect(masterKeyById(after, before.current.id)).toBeUndefined();
    await expect(unwrapDataKey(await masterWrappingKey(before.current), wrappedNew, TENANT)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("refuses to re-wrap a data key that does not unwrap with the key it claims", async () => {
    const { ring, wrapped } = await provisioned();
    const next = await masterKeyRing({ MASTER_KEY: randomKey() });
    await expect(
      rewrapDataKey(await masterWrappingKey(ring.current), await masterWrappingKey(next.current), flipByte(wrapped, 15), TENANT),
    ).rejects.toBeInstanceOf(EnvelopeError);
  });
});

describe("tenant's own wrapping key (BYOK)", () => {
  it("accepts base64 (standard or url-safe, padded or not) of exactly 32 bytes only", () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const standard = toBase64(raw);
    const urlSafe = standard.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect(decodeKey(standard)).toEqual(raw);
    expect(decodeKey(urlSafe)).toEqual(raw);
    expect(decodeKey(toBase64(new Uint8Array(31)))).toBeNull();
    expect(decodeKey(toBase64(new Uint8Array(33)))).toBeNull();
    expect(decodeKey("")).toBeNull();
    expect(decodeKey("!".repeat(44))).toBeNull();
  });

  it("wraps the data key so that only the tenant's key opens it, not the master key", async () => {
    const { ring, wrapped } = await provisioned();
    const own = crypto.getRandomValues(new Uint8Array(32));
    const byWrapped = await rewrapDataKey(await masterWrappingKey(ring.current), await tenantWrappingKey(own), wrapped, TENANT);
    await expect(unwrapDataKey(await masterWrappingKey(ring.current), byWrapped, TENANT)).rejects.toBeInstanceOf(EnvelopeError);
    await expect(unwrapDataKey(await tenantWrappingKey(crypto.getRandomValues(new Uint8Array(32))), byWrapped, TENANT)).rejects.toBeInstanceOf(EnvelopeError);
    const opened = await unwrapDataKey(await tenantWrappingKey(own), byWrapped, TENANT);
    const sealed = await encryptSecret(opened, TENANT, "n", "v");
    const again = await unwrapDataKey(await masterWrappingKey(ring.current), wrapped, TENANT);
    expect(await decryptSecret(again, TENANT, "n", sealed)).toBe("v");
  });
});

describe("sealed box (shared helper, extended for envelopes)", () => {
  it("still opens what the previous implementation sealed", async () => {
    // Made with the sealed box as it was before the envelope helpers were added.
    const key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    const box = "8+HFrgwUs+DQfUTEwIluzpwsxidrfGD20Hhs84OtpPz7ywc45A==";
    expect(await open(key, "idempotency", box, "ctx-1")).toBe("hello ✓");
    await expect(open(key, "idempotency", box, "ctx-2")).rejects.toThrow();
    expect(await open(key, "idempotency", await seal(key, "idempotency", "x", "c"), "c")).toBe("x");
  });
});
