// The gateway (/gw/*: credential, limits, runtime object, signature, streamed forward) against a
// plain pass-through Worker route (/bench/passthrough/*: fetch and return) in front of the same
// origin, a small Node HTTP server started here on 127.0.0.1. Both reach it through workerd's
// outbound fetch (same connection reuse), the client through kept-alive connections, for the same
// GET and the same 59-byte JSON answer.
//
// On loopback: throughput (the CPU each costs), and p50 of sequential requests. Under a delayed
// network model (`--network edge`): p50 of sequential requests only, with the origin hop delayed
// as the model says (this origin applies it: an origin is a backend elsewhere, not on the Worker's
// machine) and, beside it, with the origin on the Worker's doorstep (no origin delay: the least
// favourable case for the ratio).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isDelayed, parseNetworkModel, sampleMs, sleepMs, type LinkDelay } from "../../scripts/stack/network-model.ts";
import { UNLIMITED } from "../lib/admin.ts";
import { compareThroughput, figure, ratioRange, row, type Figure, type Scenario } from "../lib/scenario.ts";
import { compareSequential, type SequentialResult, type SequentialVariant } from "../lib/sequential.ts";
import { round } from "../lib/stats.ts";

/**
 * Calls of /bench/gateway-work, and loop iterations in each. The fastest call is the figure: on a
 * shared machine every other one was slowed by someone else's work.
 */
const WORK_CALLS = 9;
const WORK_ITERATIONS = 3000;

const BODY = JSON.stringify({ order: 42, items: ["a", "b", "c"], total: 1999 });

/** Sent by the client, passed on by both Workers: this request's origin hop has no delay. */
const NO_ORIGIN_HOP = { "X-Bench-Origin-Hop": "none" };

/** A hello-world origin (no work of its own); `hop`: the network between the Worker and it. */
function startOrigin(hop: LinkDelay) {
  const delayed = isDelayed(hop);
  const server = createServer((req, res) => {
    const answer = () => res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(BODY) }).end(BODY);
    req.resume();
    req.on("end", () => {
      // Both legs at once: the request's way in and the answer's way out.
      if (delayed && req.headers["x-bench-origin-hop"] !== "none") void sleepMs(sampleMs(hop) + sampleMs(hop)).then(answer);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

export const gatewayScenario: Scenario = {
  id: "gateway",
  title: "gateway vs a plain pass-through Worker in front of the same origin",
  latency: true,
  async run(ctx) {
    const model = parseNetworkModel(ctx.stack.network);
    const delayed = ctx.stack.network !== "loopback";
    const server = startOrigin(model.origin);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const tenant = await ctx.api.createActiveTenant("pro", UNLIMITED);
      const patched = await ctx.api.request("PATCH", `/v1/tenants/${tenant.id}`, { body: { gateway: { origin } } });
      if (patched.status !== 200) throw new Error(`PATCH gateway: ${patched.status} ${JSON.stringify(patched.body)}`);
      const passthrough = { path: "/bench/passthrough/orders/42", headers: { "X-Bench-Origin": origin } };
      const gateway = { path: "/gw/orders/42", headers: { Authorization: `Bearer ${tenant.key}` } };
      const pipeline = { path: "/v1/me", headers: { Authorization: `Bearer ${tenant.key}` } };

      const loads = [];
      const figures: Figure[] = [];
      if (!delayed) {
        const { results, ratios, blockRatios } = await compareThroughput(ctx, [
          { label: "pass-through (GET /bench/passthrough/orders/42)", ...passthrough },
          { label: "gateway (GET /gw/orders/42)", ...gateway },
          // The pipeline without an origin: what of the gateway's cost is the pipeline's.
          { label: "pipeline alone (GET /v1/me)", ...pipeline },
        ]);
        const [plain, gw, alone] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
        loads.push(row(plain.label, plain), row(gw.label, gw), row(alone.label, alone));
        figures.push(
          figure("gateway_over_passthrough", "gateway / pass-through (throughput)", ratios[1]!, "ratio", { op: ">=", value: 0.9 }, { range: ratioRange(blockRatios[1]!) }),
          figure("gateway_over_pipeline", "gateway / pipeline alone (throughput)", gw.okRps / alone.okRps, "ratio"),
          figure("gateway_added_p50_ms", "latency the gateway adds at p50 (under load)", gw.latency.p50 - plain.latency.p50, "ms"),
        );
        const workUs = await gatewayWork(ctx.stack.baseUrl, "all");
        const requestUs = await gatewayWork(ctx.stack.baseUrl, "request");
        const answerUs = await gatewayWork(ctx.stack.baseUrl, "answer");
        ctx.log(`  the gateway's own work in workerd (no pipeline, no network): ${workUs.toFixed(1)} µs per request (the request to the origin ${requestUs.toFixed(1)}, the answer ${answerUs.toFixed(1)})`);
        figures.push(
          figure("gateway_own_work_us", "the gateway's own work per request in workerd (URL, header rules, signature, answer framing)", workUs, "µs"),
          figure("gateway_own_request_us", "of which the request to the origin (URL, header rules, signature)", requestUs, "µs"),
          figure("gateway_own_answer_us", "of which the answer (headers less hop-by-hop, body through the byte count)", answerUs, "µs"),
        );
      }

      const variants: SequentialVariant[] = [
        { id: "passthrough", label: "pass-through, sequential", ...passthrough },
        { id: "gateway", label: "gateway, sequential", ...gateway },
        ...(delayed
          ? [
              { id: "passthrough_local", label: "pass-through, origin hop 0, sequential", path: passthrough.path, headers: { ...passthrough.headers, ...NO_ORIGIN_HOP } },
              { id: "gateway_local", label: "gateway, origin hop 0, sequential", path: gateway.path, headers: { ...gateway.headers, ...NO_ORIGIN_HOP } },
            ]
          : []),
        { id: "pipeline", label: "pipeline alone (/v1/me), sequential", ...pipeline },
      ];
      const sequential = await compareSequential(ctx, variants, ctx.profile.latencyRequests);
      const failed = sequential.filter((result) => result.failures > 0);
      if (failed.length > 0) throw new Error(`non-2xx answers in the sequential runs: ${failed.map((r) => `${r.variant.id} ${r.failures}`).join(", ")}`);
      const p50 = (id: string) => sequential.find((result) => result.variant.id === id)!.latency.p50;
      // The issue's target as latency: the gateway within 0.9 of the pass-through's speed, i.e.
      // pass-through p50 / gateway p50 ≥ 0.9. Held to it under the network model, where it was set.
      const target = delayed ? ({ op: ">=", value: 0.9 } as const) : undefined;
      const where = delayed ? `network ${model.name}` : "loopback";
      figures.push(
        figure("passthrough_over_gateway_p50", `pass-through p50 / gateway p50 (sequential, ${where})`, p50("passthrough") / p50("gateway"), "ratio", target),
        figure("gateway_added_p50_seq_ms", `latency the gateway adds at p50 (sequential, ${where})`, p50("gateway") - p50("passthrough"), "ms"),
      );
      if (delayed) {
        figures.push(
          figure("passthrough_over_gateway_p50_origin_local", "pass-through p50 / gateway p50 with the origin hop at 0 (sequential)", p50("passthrough_local") / p50("gateway_local"), "ratio"),
          figure("gateway_added_p50_origin_local_ms", "latency the gateway adds at p50 with the origin hop at 0 (sequential)", p50("gateway_local") - p50("passthrough_local"), "ms"),
        );
      }
      figures.push(figure("pipeline_p50_seq_ms", `pipeline alone (/v1/me) p50 (sequential, ${where})`, p50("pipeline"), "ms"));
      return { status: "ok", loads, figures, details: { origin, network: model.name, originHop: model.origin, sequential: sequential.map(summary) } };
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  },
};

/** Least µs per request over the calls of /bench/gateway-work (bench/worker/gateway-work-route.ts). */
async function gatewayWork(baseUrl: string, part: "all" | "request" | "answer"): Promise<number> {
  const perCall: number[] = [];
  for (let call = 0; call < WORK_CALLS; call++) {
    const response = await fetch(`${baseUrl}/bench/gateway-work?iterations=${WORK_ITERATIONS}&part=${part}`, { signal: AbortSignal.timeout(120_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`/bench/gateway-work: ${response.status} ${text.slice(0, 300)}`);
    perCall.push((JSON.parse(text) as { usPerRequest: number }).usPerRequest);
  }
  return Math.min(...perCall);
}

const summary = (result: SequentialResult) => ({
  id: result.variant.id,
  label: result.variant.label,
  count: result.latency.count,
  p50: round(result.latency.p50),
  p99: round(result.latency.p99),
  mean: round(result.latency.mean),
  failures: result.failures,
});
