/** What the verifiers need of WebCrypto: `globalThis.crypto` everywhere but Node 18, which hides it behind a flag. */
export interface WebCrypto {
  subtle: SubtleCrypto;
}

/** The given WebCrypto, else the platform's; a clear error where there is none. */
export function subtleOf(given?: WebCrypto): SubtleCrypto {
  const subtle = (given ?? (globalThis as { crypto?: WebCrypto }).crypto)?.subtle;
  if (!subtle) {
    throw new TypeError('No WebCrypto here (Node 18 without --experimental-global-webcrypto): pass options.crypto, e.g. (await import("node:crypto")).webcrypto.');
  }
  return subtle;
}
