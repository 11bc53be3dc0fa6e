/**
 * Headers on every console page and asset, and on the portal's HTML pages: no inline script or
 * style, nothing from another origin, never framed, no referrer (a portal URL must not leak).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
};

export function withConsoleHeaders(response: Response, cacheControl?: string): Response {
  const out = new Response(response.body, response);
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) out.headers.set(name, value);
  if (cacheControl) out.headers.set("Cache-Control", cacheControl);
  return out;
}
