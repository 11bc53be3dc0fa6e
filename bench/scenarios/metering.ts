// Metering on vs off: the full data-plane read with the runtime object counting usage (SQLite
// counters, alarm flushes to Postgres, response sizes measured) and with METERING=off. The Worker
// restarts to switch (variables are fixed per process); data and tenants stay. Runs ON | OFF OFF | ON
// per block, each after a warm-up, so restarts and drift hit both sides alike. Leaves metering on.
import { loadRow, runLoad, mergeLoad, type LoadResult } from "../lib/load.ts";
import { figure, ratioRange, row, type Scenario } from "../lib/scenario.ts";
import { readTarget } from "../lib/targets.ts";

export const meteringScenario: Scenario = {
  id: "metering",
  title: "metering on vs off (full data-plane read)",
  async run(ctx) {
    const { profile } = ctx;
    const target = await readTarget(ctx);
    const spec = (label: string, durationS: number) => ({ label, path: target.path, headers: target.headers, connections: profile.connections, durationS });
    const on: LoadResult[] = [];
    const off: LoadResult[] = [];
    const blockRatios: number[] = [];
    let current: "on" | "off" = "on";
    const switchTo = async (mode: "on" | "off") => {
      if (mode === current) return;
      ctx.log(`  restarting the Worker with METERING=${mode}`);
      await ctx.stack.setVars({ METERING: mode === "off" ? "off" : null });
      current = mode;
      await runLoad(ctx.stack.baseUrl, spec("warm-up", profile.warmupS));
    };
    const measure = async (mode: "on" | "off", into: LoadResult[]) => {
      await switchTo(mode);
      const result = await runLoad(ctx.stack.baseUrl, spec(`metering ${mode}`, profile.runS / 2));
      into.push(result);
      ctx.log(`  metering ${mode}: ${result.okRps.toFixed(1)} ok/s, p99 ${result.latency.p99.toFixed(1)} ms, non-2xx ${result.non2xx}`);
      return result;
    };
    try {
      await runLoad(ctx.stack.baseUrl, spec("warm-up", profile.warmupS));
      for (let block = 0; block < profile.blocks; block++) {
        const a1 = await measure("on", on);
        const b1 = await measure("off", off);
        const b2 = await measure("off", off);
        const a2 = await measure("on", on);
        blockRatios.push(mergeLoad("on", [a1, a2]).okRps / mergeLoad("off", [b1, b2]).okRps);
      }
    } finally {
      if (current !== "on") await ctx.stack.setVars({ METERING: null });
    }
    const mergedOn = mergeLoad("metering on", on);
    const mergedOff = mergeLoad("metering off (METERING=off)", off);
    // workerd's CPU per read, steadier than throughput when other processes load the machine.
    const workerdMs = (result: LoadResult) => loadRow(result).cpu?.msPerResponse.workerd ?? null;
    const onMs = workerdMs(mergedOn);
    const offMs = workerdMs(mergedOff);
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: compared GET /v1/me" } : {}),
      loads: [row(mergedOn.label, mergedOn), row(mergedOff.label, mergedOff)],
      figures: [
        figure("metering_on_over_off", "metering on / off (throughput)", mergedOn.okRps / mergedOff.okRps, "ratio", undefined, { range: ratioRange(blockRatios) }),
        figure("metering_workerd_cpu_off_over_on", "workerd CPU per read, metering off / on", onMs && offMs !== null ? offMs / onMs : NaN, "ratio"),
      ],
      details: { readPath: target.path, p50AddedMs: mergedOn.latency.p50 - mergedOff.latency.p50 },
    };
  },
};
