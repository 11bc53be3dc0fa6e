/**
 * Which headers cross the gateway. Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection
 * and never cross; `Tenantry-*` and `Authorization` belong to Tenantry: the client's are dropped
 * (an origin trusts only the ones the gateway adds), and the tenant's credential never leaves.
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection"]);

const NONE_LISTED: ReadonlySet<string> = new Set();

/** Header names listed in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: Headers): ReadonlySet<string> {
  const connection = headers.get("Connection");
  if (!connection) return NONE_LISTED;
  const listed = new Set<string>();
  for (const name of connection.split(",")) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed) listed.add(trimmed);
  }
  return listed;
}

function isHopByHop(name: string, listed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed.has(name);
}

/** Whether a client's request header stays off the origin's request. */
function dropsFromRequest(name: string, listed: ReadonlySet<string>, websocket: boolean): boolean {
  if (name === "authorization" || name === "host" || name === "forwarded" || name.startsWith("tenantry-")) return true;
  // `Expect: 100-continue` is answered by this hop (workerd reads the body anyway); passed on, the
  // origin's interim 100 would come back as if it were the answer.
  if (name === "expect") return true;
  // A WebSocket handshake keeps its Upgrade: that is how the origin knows what is asked.
  if (websocket && name === "upgrade") return false;
  return isHopByHop(name, listed);
}

/**
 * The client's headers as the origin may see them, before the gateway adds its own: workerd's own
 * copy of them, less the few that must not cross.
 */
export function forwardableRequestHeaders(incoming: Headers, websocket: boolean): Headers {
  const out = new Headers(incoming);
  const listed = connectionListed(incoming);
  let drop: string[] | undefined;
  for (const name of out.keys()) {
    if (dropsFromRequest(name, listed, websocket)) (drop ??= []).push(name);
  }
  if (drop) for (const name of drop) out.delete(name);
  return out;
}

/**
 * Removes the hop-by-hop headers of an origin's response from `headers` (a mutable copy of them,
 * e.g. a new Response's): the copy is workerd's own, and most answers have one or two to drop.
 */
export function dropHopByHop(headers: Headers): Headers {
  const listed = connectionListed(headers);
  let drop: string[] | undefined;
  for (const name of headers.keys()) {
    if (isHopByHop(name, listed)) (drop ??= []).push(name);
  }
  if (drop) for (const name of drop) headers.delete(name);
  return headers;
}

/** The origin's response headers less the hop-by-hop ones (Set-Cookie lines stay apart). */
export const forwardableResponseHeaders = (incoming: Headers): Headers => dropHopByHop(new Headers(incoming));

/** RFC 7239 `Forwarded`: the client as the gateway saw it (any value the client sent is dropped). */
export function forwardedHeader(clientIp: string | null, proto: string, host: string | null): string {
  const pairs = [`for=${quoteIfNeeded(clientIp ? nodeName(clientIp) : "unknown")}`, `proto=${proto}`];
  if (host) pairs.push(`host=${quoteIfNeeded(host)}`);
  return pairs.join(";");
}

/** IPv6 addresses are bracketed (RFC 7239 §6). */
const nodeName = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const quoteIfNeeded = (value: string) => (TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`);
