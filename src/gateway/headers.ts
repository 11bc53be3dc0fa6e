/**
 * Which headers cross the gateway. Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection
 * and never cross; `Tenantry-*` and `Authorization` belong to Tenantry: the client's are dropped
 * (an origin trusts only the ones the gateway adds), and the tenant's credential never leaves.
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection"]);

/** Header names listed in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: Headers): Set<string> {
  const listed = new Set<string>();
  for (const name of (headers.get("Connection") ?? "").split(",")) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed) listed.add(trimmed);
  }
  return listed;
}

function isHopByHop(name: string, listed: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed.has(name);
}

/** The client's headers as the origin may see them, before the gateway adds its own. */
export function forwardableRequestHeaders(incoming: Headers, websocket: boolean): Headers {
  const listed = connectionListed(incoming);
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (name === "authorization" || name === "host" || name === "forwarded" || name.startsWith("tenantry-")) continue;
    // `Expect: 100-continue` is answered by this hop (workerd reads the body anyway); passed on, the
    // origin's interim 100 would come back as if it were the answer.
    if (name === "expect") continue;
    // A WebSocket handshake keeps its Upgrade: that is how the origin knows what is asked.
    if (websocket && name === "upgrade") {
      out.set(name, value);
      continue;
    }
    if (isHopByHop(name, listed)) continue;
    out.append(name, value);
  }
  return out;
}

/** The origin's response headers less the hop-by-hop ones. */
export function forwardableResponseHeaders(incoming: Headers): Headers {
  const listed = connectionListed(incoming);
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (isHopByHop(name, listed)) continue;
    out.append(name, value);
  }
  // Each Set-Cookie stays its own line (they cannot be joined with commas).
  if (incoming.has("set-cookie")) {
    out.delete("set-cookie");
    for (const cookie of incoming.getAll("set-cookie")) out.append("set-cookie", cookie);
  }
  return out;
}

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
