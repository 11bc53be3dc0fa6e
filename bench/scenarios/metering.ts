// Metering on vs off: the full data-plane read as metered (edge tally, the runtime object's SQLite
// counters, the answer's bytes measured) and the same read through /bench/unmetered/ (the benchmark
// Worker runs it with METERING=off), on the same Worker, tenant and runtime object. No restart between
// them: short runs alternate ON | OFF OFF | ON, block after block, so the machine's drift hits both
// alike, and each block gives one ratio. The spread of those ratios says what the figure can resolve.
import { loadRow, runLoad, mergeLoad, type LoadResult } from "../lib/load.ts";
import { figure, ratioRange, row, type Scenario } from "../lib/scenario.ts";
import { median } from "../lib/stats.ts";
import { readTarget } from "../lib/targets.ts";

/** Blocks per profile (odd: the median is one of them); many short ones resolve more than a few long ones on a drifting machine. */
const BLOCKS = { quick: 5, full: 11 } as const;
const UNMETERED_PREFIX = "/bench/unmetered";

export const meteringScenario: Scenario = {
  id: "metering",
  title: "metering on vs off (full data-plane read)",
  async run(ctx) {
    const { profile } = ctx;
    const target = await readTarget(ctx);
    const runS = profile.runS / 4;
    const spec = (label: string, path: string, durationS: number) => ({ label, path, headers: target.headers, connections: profile.connections, durationS });
    const paths = { on: target.path, off: `${UNMETERED_PREFIX}${target.path}` };
    const on: LoadResult[] = [];
    const off: LoadResult[] = [];
    const blockRatios: number[] = [];
    const measure = async (mode: "on" | "off", into: LoadResult[]) => {
      const result = await runLoad(ctx.stack.baseUrl, spec(`metering ${mode}`, paths[mode], runS));
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`metering ${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      into.push(result);
      return result;
    };
    await runLoad(ctx.stack.baseUrl, spec("warm-up on", paths.on, profile.warmupS));
    await runLoad(ctx.stack.baseUrl, spec("warm-up off", paths.off, profile.warmupS));
    for (let block = 0; block < BLOCKS[profile.name]; block++) {
      const a1 = await measure("on", on);
      const b1 = await measure("off", off);
      const b2 = await measure("off", off);
      const a2 = await measure("on", on);
      const ratio = mergeLoad("on", [a1, a2]).okRps / mergeLoad("off", [b1, b2]).okRps;
      blockRatios.push(ratio);
      ctx.log(`  block ${block + 1}: on ${mergeLoad("on", [a1, a2]).okRps.toFixed(1)} ok/s, off ${mergeLoad("off", [b1, b2]).okRps.toFixed(1)} ok/s, on/off ${ratio.toFixed(3)}`);
    }
    const mergedOn = mergeLoad("metering on", on);
    const mergedOff = mergeLoad("metering off (/bench/unmetered, METERING=off)", off);
    // workerd's CPU per read, steadier than throughput when other processes load the machine.
    const workerdMs = (result: LoadResult) => loadRow(result).cpu?.msPerResponse.workerd ?? null;
    const onMs = workerdMs(mergedOn);
    const offMs = workerdMs(mergedOff);
    return {
      status: "ok",
      ...(target.kind === "me" ? { note: "maps API not mounted: compared GET /v1/me" } : {}),
      loads: [row(mergedOn.label, mergedOn), row(mergedOff.label, mergedOff)],
      figures: [
        figure("metering_on_over_off", "metering on / off (throughput, median of blocks)", median(blockRatios), "ratio", { op: ">=", value: 0.99 }, { range: ratioRange(blockRatios) }),
        figure("metering_on_over_off_all", "metering on / off (throughput, all runs together)", mergedOn.okRps / mergedOff.okRps, "ratio"),
        figure("metering_workerd_cpu_off_over_on", "workerd CPU per read, metering off / on", onMs && offMs !== null ? offMs / onMs : NaN, "ratio"),
      ],
      details: { readPath: target.path, blocks: blockRatios.length, runS, blockRatios, p50AddedMs: mergedOn.latency.p50 - mergedOff.latency.p50 },
    };
  },
};
