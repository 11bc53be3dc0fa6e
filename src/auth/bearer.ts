/** The credential of `Authorization: Bearer <credential>`, or null when absent or malformed. */
export function bearerCredential(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ ]+([\x21-\x7e]{1,4096})\s*$/i.exec(header);
  return match ? match[1]! : null;
}
