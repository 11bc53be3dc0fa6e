// Noisy neighbour: a quiet tenant at a low steady rate, alone and then while a hot tenant floods at
// ten times its limit (most of the flood gets 429). Ratio = quiet p99 during / quiet p99 alone.
// Both are open-loop paced loads (bench/lib/paced.ts): steady rates, latency from the scheduled
// send time. The hot tenant is on the free plan (10 req/s, burst 20), so "10×" is 100 req/s: a
// flood this 2-core machine can offer and answer while still serving the quiet tenant.
import { sleep } from "../lib/admin.ts";
import { mergeLoad, type LoadResult } from "../lib/load.ts";
import { runPaced } from "../lib/paced.ts";
import { figure, memo, row, type Scenario } from "../lib/scenario.ts";
import { readPathFor } from "../lib/targets.ts";

const QUIET_PLAN = "pro";
const HOT_PLAN = "free";
const HOT_LIMIT_RPS = 10;
const FLOOD_FACTOR = 10;

export const noisyScenario: Scenario = {
  id: "noisy",
  title: "noisy neighbour: quiet tenant p99 alone vs while a hot tenant floods at 10x its limit",
  async run(ctx) {
    const { noisy } = ctx.profile;
    const [quiet, hot] = await memo(ctx, "noisy-tenants", () => Promise.all([ctx.api.createActiveTenant(QUIET_PLAN), ctx.api.createActiveTenant(HOT_PLAN)]));
    const { path } = await readPathFor(ctx.api, quiet);
    await readPathFor(ctx.api, hot);
    const base = ctx.stack.baseUrl;
    const floodRate = HOT_LIMIT_RPS * FLOOD_FACTOR;
    const quietLoad = (durationS: number) =>
      runPaced(base, { label: `quiet tenant (${QUIET_PLAN}, ${noisy.quietRate} req/s)`, path, headers: { authorization: `Bearer ${quiet.key}` }, rate: noisy.quietRate, durationS });
    const floodLoad = (durationS: number) =>
      runPaced(base, { label: `hot tenant flood (${HOT_PLAN}, ${floodRate} req/s)`, path, headers: { authorization: `Bearer ${hot.key}` }, rate: floodRate, durationS });

    ctx.log(`  warm-up: quiet tenant and flood (${ctx.profile.warmupS} s)`);
    await Promise.all([quietLoad(ctx.profile.warmupS), floodLoad(ctx.profile.warmupS)]);
    await sleep(1500); // the hot tenant's bucket refills, its rejections drain
    // The flood alone: what one refused request costs the machine (CPU per response).
    const floodAlone = await floodLoad(Math.max(3, noisy.runS / 2));
    const floodCpu = row("flood alone", floodAlone).cpu;
    ctx.log(
      `  flood alone: ${floodAlone.requests} answered (${floodAlone.statusCodes["429"] ?? 0} × 429), p50 ${floodAlone.latency.p50.toFixed(1)} ms` +
        (floodCpu ? `, CPU ${floodCpu.msPerResponse.total} ms/response, machine ${Math.round(((floodCpu.busy.ours ?? 0) + (floodCpu.busy.others ?? 0)) * 100)}% busy` : ""),
    );
    await sleep(1500);

    const alone: LoadResult[] = [];
    const during: LoadResult[] = [];
    const floods: LoadResult[] = [];
    const measureAlone = async () => {
      const result = await quietLoad(noisy.runS);
      alone.push(result);
      ctx.log(`  quiet alone: p50 ${result.okLatency.p50.toFixed(1)} ms, p99 ${result.okLatency.p99.toFixed(1)} ms, ${result.ok} ok, non-2xx ${result.non2xx}, errors ${result.errors}`);
    };
    const measureDuring = async () => {
      // The flood starts first and ends last, so the quiet run sits wholly inside it.
      const flood = floodLoad(noisy.runS + 2);
      await sleep(1000);
      const result = await quietLoad(noisy.runS);
      during.push(result);
      const floodResult = await flood;
      floods.push(floodResult);
      ctx.log(
        `  quiet during flood: p50 ${result.okLatency.p50.toFixed(1)} ms, p99 ${result.okLatency.p99.toFixed(1)} ms, non-2xx ${result.non2xx}, errors ${result.errors}; ` +
          `flood: ${floodResult.requests} answered, ${floodResult.statusCodes["429"] ?? 0} × 429, ${(floodResult.ok / floodResult.durationS).toFixed(1)} admitted/s, p50 ${floodResult.latency.p50.toFixed(1)} ms`,
      );
      await sleep(1500);
    };
    for (let round = 0; round < noisy.rounds; round++) {
      // alone, during | during, alone: drift hits both sides alike.
      if (round % 2 === 0) {
        await measureAlone();
        await measureDuring();
      } else {
        await measureDuring();
        await measureAlone();
      }
    }
    const quietAlone = mergeLoad("quiet tenant alone", alone);
    // CPU of the concurrent runs cannot be split between the two tenants: left out of their rows.
    const quietDuring = { ...mergeLoad("quiet tenant during the flood", during), cpu: undefined };
    const flood = { ...mergeLoad(`hot tenant (${HOT_PLAN}, ${floodRate} req/s offered)`, floods), cpu: undefined };
    return {
      status: "ok",
      loads: [
        row(quietAlone.label, quietAlone),
        row(`hot tenant flood alone (${HOT_PLAN}, ${floodRate} req/s offered)`, floodAlone),
        row(quietDuring.label, quietDuring),
        row(flood.label, flood),
      ],
      figures: [
        figure("noisy_p99_ratio", "quiet tenant p99 during flood / alone", quietDuring.okLatency.p99 / quietAlone.okLatency.p99, "ratio", { op: "<=", value: 1.2 }),
        figure("noisy_p50_ratio", "quiet tenant p50 during flood / alone", quietDuring.okLatency.p50 / quietAlone.okLatency.p50, "ratio"),
        figure("quiet_refused", "quiet tenant requests refused or failed during the flood", quietDuring.non2xx + quietDuring.errors, "requests", { op: "<=", value: 0 }),
        ...(floodCpu?.msPerResponse.total != null ? [figure("flood_cpu_ms", "CPU per answered flood request (mostly 429), flood alone", floodCpu.msPerResponse.total, "ms")] : []),
      ],
      details: {
        quietRate: noisy.quietRate,
        quietP99AloneMs: quietAlone.okLatency.p99,
        quietP99DuringMs: quietDuring.okLatency.p99,
        floodOfferedRps: floodRate,
        floodAnsweredRps: flood.requests / flood.durationS,
        floodAdmittedRps: flood.ok / flood.durationS,
        floodStatusCodes: flood.statusCodes,
        floodErrors: flood.errors,
        quietStatusCodesDuring: quietDuring.statusCodes,
        floodAlone: { answeredRps: floodAlone.requests / floodAlone.durationS, statusCodes: floodAlone.statusCodes, cpu: floodCpu ?? null },
        hotPlan: HOT_PLAN,
        readPath: path,
      },
    };
  },
};
