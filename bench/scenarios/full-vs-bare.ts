// The full pipeline against the same handler without tenancy (bench/worker/bare-app.ts: same route
// code, fixed tenant scope, no credential resolution, no limits, no runtime object).
import { loadRow } from "../lib/load.ts";
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
    // workerd runs the Worker (and its runtime objects) on one thread: what it spends per read
    // bounds the throughput, and unlike the throughput it barely moves when other processes load the machine.
    const workerdMs = (result: typeof bare) => loadRow(result).cpu?.msPerResponse.workerd ?? null;
    const bareMs = workerdMs(bare);
    const fullMs = workerdMs(full);
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: compared GET /v1/me" } : {}),
      loads: [row(bare.label, bare), row(full.label, full)],
      figures: [
        figure("full_over_bare", "full pipeline / bare handler (throughput)", ratios[1]!, "ratio", { op: ">=", value: 0.95 }, { range: ratioRange(blockRatios[1]!) }),
        figure("added_p50_ms", "latency the pipeline adds at p50", full.latency.p50 - bare.latency.p50, "ms"),
        figure("workerd_cpu_bare_over_full", "workerd CPU per bare read / per full read", bareMs !== null && fullMs ? bareMs / fullMs : NaN, "ratio"),
      ],
      details: { readPath: target.path },
    };
  },
};
