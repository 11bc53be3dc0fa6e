// The gateway (/gw/*: credential, limits, runtime object, signature, streamed forward) against a
// plain pass-through Worker route (/bench/passthrough/*: fetch and return) in front of the same
// origin, a small Node HTTP server started here on 127.0.0.1.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UNLIMITED } from "../lib/admin.ts";
import { compareThroughput, figure, ratioRange, row, type Scenario } from "../lib/scenario.ts";

const BODY = JSON.stringify({ order: 42, items: ["a", "b", "c"], total: 1999 });

export const gatewayScenario: Scenario = {
  id: "gateway",
  title: "gateway vs a plain pass-through Worker in front of the same origin",
  async run(ctx) {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(BODY) }).end(BODY));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const tenant = await ctx.api.createActiveTenant("pro", UNLIMITED);
      const patched = await ctx.api.request("PATCH", `/v1/tenants/${tenant.id}`, { body: { gateway: { origin } } });
      if (patched.status !== 200) throw new Error(`PATCH gateway: ${patched.status} ${JSON.stringify(patched.body)}`);
      const { results, ratios, blockRatios } = await compareThroughput(ctx, [
        { label: "pass-through (GET /bench/passthrough/orders/42)", path: "/bench/passthrough/orders/42", headers: { "X-Bench-Origin": origin } },
        { label: "gateway (GET /gw/orders/42)", path: "/gw/orders/42", headers: { Authorization: `Bearer ${tenant.key}` } },
        // The pipeline without an origin: what of the gateway's cost is the pipeline's.
        { label: "pipeline alone (GET /v1/me)", path: "/v1/me", headers: { Authorization: `Bearer ${tenant.key}` } },
      ]);
      const [plain, gateway, pipeline] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
      return {
        status: "ok",
        loads: [row(plain.label, plain), row(gateway.label, gateway), row(pipeline.label, pipeline)],
        figures: [
          figure("gateway_over_passthrough", "gateway / pass-through (throughput)", ratios[1]!, "ratio", { op: ">=", value: 0.9 }, { range: ratioRange(blockRatios[1]!) }),
          figure("gateway_over_pipeline", "gateway / pipeline alone (throughput)", gateway.okRps / pipeline.okRps, "ratio"),
          figure("gateway_added_p50_ms", "latency the gateway adds at p50", gateway.latency.p50 - plain.latency.p50, "ms"),
        ],
        details: { origin },
      };
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  },
};
