// GET /bench/gateway-work?iterations=N: the gateway's own work for one request, inside workerd,
// without the pipeline and without the network: the origin's URL, the header rules and the RFC 9421
// signature (originHeaders), then the answer's framing (originAnswer: the origin's headers less the
// hop-by-hop ones, the body through the byte count to its end). The request is the one this route
// got, readdressed to /gw/orders/42; the origin's answer is what the gateway scenario's origin sends.
// Timed over the whole loop (locally workerd's clock advances while code runs, at 1 ms resolution).
// `part=request` or `part=answer` times one half alone. Answers { iterations, loopMs, usPerRequest }.
// Benchmark Worker only.
import { effectiveLimits, planFeatures } from "../../src/core/plans.ts";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { originAnswer } from "../../src/gateway/forward.ts";
import { originHeaders } from "../../src/gateway/origin-request.ts";
import { gatewayTarget } from "../../src/gateway/target.ts";

const ORIGIN_BODY = JSON.stringify({ order: 42, items: ["a", "b", "c"], total: 1999 });
const ORIGIN_HEADERS = {
  "Content-Type": "application/json",
  "Content-Length": String(ORIGIN_BODY.length),
  Date: new Date(0).toUTCString(),
  Connection: "keep-alive",
  "Keep-Alive": "timeout=60",
};

const tenant: TenantContext = {
  id: "ten_benchgatewaywork",
  name: "gateway work benchmark",
  plan: "pro",
  status: "active",
  isolation: "shared",
  region: null,
  limits: effectiveLimits("pro", {}),
  features: planFeatures("pro"),
  configVersion: 1,
  gateway: { origin: "http://127.0.0.1:9", timeoutMs: 30_000 },
};

export async function gatewayWorkRoute(request: Request): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const iterations = Math.min(1_000_000, Math.max(1, Number(params.get("iterations") ?? 1000) || 1000));
  const part = params.get("part") ?? "all";
  const outbound = part !== "answer";
  const inbound = part !== "request";
  const incoming = new Request(new URL("/gw/orders/42", request.url), request);
  const caller = { tenant, credential: { kind: "api_key" as const, keyId: "key_benchgatewaywork", scopes: ["read" as const, "write" as const] }, requestId: "req_benchgatewaywork" };
  const signing = { secret: "bench-gateway-work-secret", keyId: "default" };
  let checksum = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    if (outbound) {
      const url = new URL(incoming.url);
      const target = gatewayTarget({ GATEWAY_ORIGIN: "" }, tenant, url)!;
      const headers = await originHeaders(incoming, url, target.url, caller, signing, false);
      checksum += headers.get("Signature")!.length;
    }
    if (inbound) {
      const forwarded = originAnswer(new Response(ORIGIN_BODY, { status: 200, headers: ORIGIN_HEADERS }), Promise.resolve(0));
      checksum += (await forwarded.response.arrayBuffer()).byteLength + (await forwarded.done).bytesOut;
    }
  }
  const loopMs = performance.now() - started;
  return Response.json({ part, iterations, loopMs, usPerRequest: (loopMs * 1000) / iterations, checksum });
}
