// The full pipeline against the same handler without tenancy (bench/worker/bare-app.ts: same route
// code, fixed tenant scope, no credential resolution, no limits, no runtime object).
import { compareThroughput, figure, ratioRange, row, type Scenario } from "../lib/scenario.ts";
import { readTarget } from "../lib/targets.ts";

export const fullVsBare: Scenario = {
  id: "bare",
  title: "full pipeline vs the same handler without tenancy",
  async run(ctx) {
    const target = await readTarget(ctx);
    const { results, ratios, blockRatios } = await compareThroughput(ctx, [
      { label: `bare handler (GET /bench/bare${target.path})`, path: `/bench/bare${target.path}`, headers: { "X-Bench-Tenant": target.tenant.id } },
      { label: `full pipeline (GET ${target.path})`, path: target.path, headers: target.headers },
    ]);
    const [bare, full] = results as [(typeof results)[0], (typeof results)[0]];
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: compared GET /v1/me" } : {}),
      loads: [row(bare.label, bare), row(full.label, full)],
      figures: [
        figure("full_over_bare", "full pipeline / bare handler (throughput)", ratios[1]!, "ratio", { op: ">=", value: 0.95 }, { range: ratioRange(blockRatios[1]!) }),
        figure("added_p50_ms", "latency the pipeline adds at p50", full.latency.p50 - bare.latency.p50, "ms"),
      ],
      details: { readPath: target.path },
    };
  },
};
