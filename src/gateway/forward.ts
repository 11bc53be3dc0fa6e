import { ApiError } from "../http/problem.ts";
import { log } from "../lib/log.ts";
import type { RequestUsage } from "../core/usage.ts";
import { dropHopByHop } from "./headers.ts";
import { declaredLength, meteredBody } from "./metered-stream.ts";
import type { GatewayTarget } from "./target.ts";

export interface Forwarded {
  response: Response;
  /** Settles once the response body has been streamed to the client, with the bytes each way. */
  done: Promise<Pick<RequestUsage, "bytesIn" | "bytesOut">>;
}

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * Sends the request to the origin and hands its response back as it arrives: bodies stream both
 * ways, never buffered. No response headers within `timeoutMs` is 504; no connection is 502.
 */
export async function forwardToOrigin(incoming: Request, target: GatewayTarget, headers: Headers): Promise<Forwarded> {
  let body: ReadableStream<Uint8Array> | null = null;
  let bytesIn: Promise<number> = Promise.resolve(0);
  if (!BODYLESS_METHODS.has(incoming.method) && incoming.body) {
    const length = declaredLength(incoming.headers);
    if (length === null) {
      // A chunked upload: counted as it passes.
      const metered = meteredBody(incoming.body, null);
      body = metered.body;
      bytesIn = metered.done;
    } else {
      body = incoming.body;
      bytesIn = Promise.resolve(length);
    }
  }

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), target.timeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(target.url, { method: incoming.method, headers, body, redirect: "manual", signal: abort.signal });
  } catch (error) {
    if (abort.signal.aborted) {
      throw new ApiError("gateway_timeout", `The origin sent no response within ${target.timeoutMs} ms.`, { timeoutMs: target.timeoutMs });
    }
    log.warn("gateway origin unreachable", { error });
    throw new ApiError("bad_gateway", "The origin could not be reached.");
  } finally {
    clearTimeout(timer);
  }

  if (upstream.status < 200 || upstream.status > 599) {
    throw new ApiError("bad_gateway", `The origin answered with status ${upstream.status}.`);
  }
  return originAnswer(upstream, bytesIn);
}

/**
 * The origin's answer as the client gets it: status and headers less the hop-by-hop ones, the body
 * streamed through a byte count whose end releases the lease.
 */
export function originAnswer(upstream: Response, bytesIn: Promise<number>): Forwarded {
  // The Response copies the origin's headers (natively); the hop-by-hop ones come out of the copy.
  const answer = (body: ReadableStream<Uint8Array> | null) =>
    new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
  if (!upstream.body) {
    const response = answer(null);
    dropHopByHop(response.headers);
    return { response, done: bytesIn.then((bytes) => ({ bytesIn: bytes, bytesOut: 0 })) };
  }
  // workerd hands a compressed body over decoded (and encodes it again on the way out): its
  // length is no longer the declared one.
  const encoded = (upstream.headers.get("Content-Encoding") ?? "identity").toLowerCase() !== "identity";
  const metered = meteredBody(upstream.body, encoded ? null : declaredLength(upstream.headers));
  const response = answer(metered.body);
  dropHopByHop(response.headers);
  if (encoded) response.headers.delete("Content-Length");
  return { response, done: Promise.all([bytesIn, metered.done]).then(([inBytes, outBytes]) => ({ bytesIn: inBytes, bytesOut: outBytes })) };
}
