// The floor of the local stack (a workerd hello world, same Worker, same port) against the full
// data-plane read. In between, for the analysis: hello world plus one Upstash round trip (what a
// single subrequest costs on this stack) and GET /v1/me (the pipeline: credential, limits,
// runtime object, without storage).
import { compareThroughput, figure, ratioRange, row, type Scenario } from "../lib/scenario.ts";
import { readTarget } from "../lib/targets.ts";

export const helloVsFull: Scenario = {
  id: "hello",
  title: "workerd hello world (floor) vs full data-plane read",
  async run(ctx) {
    const target = await readTarget(ctx);
    const variants = [
      { label: "hello world", path: "/bench/hello" },
      { label: "hello + one Upstash round trip", path: "/bench/subrequest" },
      { label: "pipeline only (GET /v1/me)", path: "/v1/me", headers: target.headers },
      { label: `full read (GET ${target.path})`, path: target.path, headers: target.headers },
    ];
    const { results, ratios, blockRatios } = await compareThroughput(ctx, target.kind === "me" ? variants.slice(0, 3) : variants);
    const full = results.length - 1;
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: the full read was GET /v1/me" } : {}),
      loads: results.map((result) => row(result.label, result)),
      figures: [
        figure("full_over_hello", "full read / hello world (throughput)", ratios[full]!, "ratio", { op: ">=", value: 0.5 }, { range: ratioRange(blockRatios[full]!) }),
        figure("subrequest_over_hello", "hello + one Upstash round trip / hello world", ratios[1]!, "ratio", undefined, { range: ratioRange(blockRatios[1]!) }),
        ...(results.length === 4 ? [figure("me_over_hello", "pipeline only (/v1/me) / hello world", ratios[2]!, "ratio", undefined, { range: ratioRange(blockRatios[2]!) })] : []),
      ],
      details: { readPath: target.path },
    };
  },
};
