// The floor of the local stack (a workerd hello world, same Worker, same port) against the full
// data-plane read. In between, for the analysis: hello world plus one Upstash round trip (what a
// single subrequest costs on this stack) and GET /v1/me (the pipeline: credential, limits,
// runtime object, without storage). Beside them, a request the edge refuses (a tenant flooding
// past its token bucket: 429 decided in the isolate, no call on its path), whose CPU is held to
// twice a hello world's (issue 16).
import { compareThroughput, figure, memo, ratioRange, row, type Scenario } from "../lib/scenario.ts";
import { loadRow, type LoadResult } from "../lib/load.ts";
import { readTarget } from "../lib/targets.ts";

/** CPU ms per answered request: of every process of the stack and the load generator, and of workerd alone. */
function cpuPerResponse(result: LoadResult): { total: number | null; workerd: number | null } {
  const cpu = loadRow(result).cpu?.msPerResponse;
  return { total: cpu?.total ?? null, workerd: cpu?.workerd ?? null };
}

export const helloVsFull: Scenario = {
  id: "hello",
  title: "workerd hello world (floor) vs full data-plane read, and vs a request refused at the edge",
  async run(ctx) {
    const target = await readTarget(ctx);
    // One token a second: nearly every request is refused by the isolate's own knowledge of the empty bucket.
    const refusedTenant = await memo(ctx, "hello-refused-tenant", () => ctx.api.createActiveTenant("free", { requestsPerSecond: 1, burst: 1 }));
    const variants = [
      { label: "hello world", path: "/bench/hello" },
      { label: "hello + one Upstash round trip", path: "/bench/subrequest" },
      { label: "pipeline only (GET /v1/me)", path: "/v1/me", headers: target.headers },
      { label: "refused at the edge (GET /v1/me, 429 rate_limited)", path: "/v1/me", headers: { Authorization: `Bearer ${refusedTenant.key}` } },
      // The app's own floor: the same route refused before any tenant is known (no credential).
      { label: "app floor (GET /v1/me, 401 without a credential)", path: "/v1/me" },
      ...(target.kind === "me" ? [] : [{ label: `full read (GET ${target.path})`, path: target.path, headers: target.headers }]),
    ];
    const { results, ratios, blockRatios } = await compareThroughput(ctx, variants);
    const [hello, , , refused, unauthenticated] = results as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult, ...LoadResult[]];
    const helloCpu = cpuPerResponse(hello);
    const refusedCpu = cpuPerResponse(refused);
    const floorCpu = cpuPerResponse(unauthenticated);
    const ratioOf = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : NaN);
    const full = results.length - 1;
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: no full read" } : {}),
      loads: results.map((result) => row(result.label, result)),
      figures: [
        ...(target.kind === "me"
          ? []
          : [figure("full_over_hello", "full read / hello world (throughput)", ratios[full]!, "ratio", { op: ">=", value: 0.5 }, { range: ratioRange(blockRatios[full]!) })]),
        figure("subrequest_over_hello", "hello + one Upstash round trip / hello world", ratios[1]!, "ratio", undefined, { range: ratioRange(blockRatios[1]!) }),
        figure("me_over_hello", "pipeline only (/v1/me) / hello world", ratios[2]!, "ratio", undefined, { range: ratioRange(blockRatios[2]!) }),
        figure("refused_cpu_over_hello", "CPU per refused request / per hello world (all processes)", ratioOf(refusedCpu.total, helloCpu.total), "ratio", { op: "<=", value: 2 }),
        figure("refused_workerd_cpu_over_hello", "workerd CPU per refused request / per hello world", ratioOf(refusedCpu.workerd, helloCpu.workerd), "ratio"),
        figure("app_floor_cpu_over_hello", "CPU per 401 without a credential (the app's floor) / per hello world", ratioOf(floorCpu.total, helloCpu.total), "ratio"),
        figure("refused_answered_over_hello", "refused requests answered / hello worlds answered (throughput)", refused.requests / refused.durationS / (hello.requests / hello.durationS), "ratio"),
      ],
      details: {
        readPath: target.path,
        cpuMsPerResponse: { hello: helloCpu, refused: refusedCpu, appFloor: floorCpu },
        refusedStatusCodes: refused.statusCodes,
      },
    };
  },
};
