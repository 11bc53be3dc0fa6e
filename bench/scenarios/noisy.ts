// Noisy neighbours (issue 16): ten tenants of mixed plans flood at ten times their rate limits
// (open loop, paced) while ten quiet tenants read at steady rates well inside theirs, on the same
// runtime shards. Measured: the quiet tenants' p99 during the flood against their p99 alone (the
// same ten at the same rates, without the flood), quiet requests refused (none may be), and each
// flooding tenant's admissions against its token bucket's bound, burst + rate × t.
// All loads are open loop (bench/lib/paced.ts): latency counts from the scheduled send time.
//
// Plans: six free and four pro flooding tenants, with their rates overridden down (free 1 req/s,
// burst 2; pro 2 req/s, burst 4) so that ten times them, 140 requests a second in all, is a flood
// this shared 2-core machine can offer and answer while it also runs every dependency. At the
// plans' own rates ten times over is 4,600 a second. Tried on a machine other engineers kept 80 %
// busy: 1,400 a second (free at 10 req/s, pro at 20) left workerd answering nothing for 10 s, and
// 380 a second (free 3, pro 5) still queued every request for seconds behind the flood (workerd
// runs the isolate and every runtime object on one thread). The plans still differ where fair
// admission looks: their weights and their concurrency limits.
import { readFileSync } from "node:fs";
import { runtimeObjectName } from "../../durable-objects/tenant-runtime/stub.ts";
import { sleep, type Api, type BenchTenant, type Overrides } from "../lib/admin.ts";
import { mergeLoad, type LoadResult } from "../lib/load.ts";
import { runPaced } from "../lib/paced.ts";
import { runPacedApart } from "../lib/paced-apart.ts";
import { figure, memo, row, type Scenario } from "../lib/scenario.ts";
import { bootstrapPercentileRatio, round } from "../lib/stats.ts";
import { readPathFor } from "../lib/targets.ts";
import type { TimedResponse } from "../lib/paced.ts";
import { describeBreakdown, tailBreakdown } from "../lib/server-timing.ts";

const FLOOD_FACTOR = 10;
/**
 * BENCH_NOISY_FLOOD=hello: the control run. The flood asks `/bench/hello` (workerd's hello world: no
 * tenancy, no platform code) at the same rates, so the ratio it gives is what any 140 requests a
 * second do to the quiet tenants on this machine, whatever the platform does with them.
 */
const FLOOD_OF_HELLOS = process.env.BENCH_NOISY_FLOOD === "hello";
/**
 * BENCH_NOISY_FLOOD=apart: the second control. The same platform flood, served by a copy of the
 * Worker in the same workerd but in isolates of its own (ctx.stack.apartUrl): same thread, same
 * runtime objects, Upstash and Postgres, another heap. Between the two controls lies what the
 * flood costs the quiet tenants through their isolate's heap and what through the machine.
 */
const FLOOD_APART = process.env.BENCH_NOISY_FLOOD === "apart";

interface TenantSpec {
  plan: "free" | "pro";
  overrides?: Overrides;
  /** The token bucket the tenant has (its plan's, or the override's). */
  rate: number;
  burst: number;
}

interface Flooder extends TenantSpec {
  tenant: BenchTenant;
  path: string;
}

interface Quiet {
  plan: "free" | "pro";
  tenant: BenchTenant;
  path: string;
  /** Steady requests a second, well inside the plan. */
  rate: number;
}

const FLOODERS: TenantSpec[] = [
  ...Array.from({ length: 6 }, (): TenantSpec => ({ plan: "free", overrides: { requestsPerSecond: 1, burst: 2 }, rate: 1, burst: 2 })),
  ...Array.from({ length: 4 }, (): TenantSpec => ({ plan: "pro", overrides: { requestsPerSecond: 2, burst: 4 }, rate: 2, burst: 4 })),
];
/**
 * Steady map reads well inside the plans (free allows 10 a second, pro 100): 50 requests a second in
 * all, so that a quick run's p99 rests on hundreds of answers, not on its two slowest of 150.
 */
const QUIET_PLANS: Array<{ plan: "free" | "pro"; rate: number }> = [
  ...Array.from({ length: 5 }, () => ({ plan: "free" as const, rate: 4 })),
  ...Array.from({ length: 5 }, () => ({ plan: "pro" as const, rate: 6 })),
];

/**
 * Where in its interval the k-th quiet tenant sends (golden-ratio spacing: spread, and the same in
 * every run). Ten tenants started together would otherwise send in the same instant every second
 * and queue behind each other: the p99 alone was then the tenth of a burst of ten, not a tenant's.
 */
const phaseMs = (k: number, rate: number) => ((k * 0.618034) % 1) * (1000 / rate);
/** Requests a flooding tenant's load generator keeps in flight at most (a send beyond is an error, not a queue). */
const FLOOD_MAX_IN_FLIGHT = 64;
/** Quiet candidates made at most, looking for ten that share a shard with a flooding tenant. */
const MAX_QUIET_CANDIDATES = 60;

/** The benchmark Worker's shard count (bench/wrangler.bench.toml), to place tenants as the Worker does. */
function benchShards(): string {
  const toml = readFileSync(new URL("../wrangler.bench.toml", import.meta.url), "utf8");
  return /^RUNTIME_SHARDS\s*=\s*"(\d+)"/m.exec(toml)?.[1] ?? "16";
}

/**
 * Runs that went on at the same time, as one: their counts and samples together, over the longest
 * run's time and CPU (each run measured the whole machine over the same window; summing would count it again).
 */
function together(label: string, runs: LoadResult[]): LoadResult {
  const merged = mergeLoad(label, runs);
  const longest = runs.reduce((a, b) => (b.durationS > a.durationS ? b : a));
  return { ...merged, durationS: longest.durationS, okRps: merged.ok / longest.durationS, cpu: longest.cpu };
}

/** Answers grouped by the second they were sent in: a stall of the machine slows a second's answers together. */
function bySecond(responses: TimedResponse[]): number[][] {
  const seconds = new Map<number, number[]>();
  for (const { ms, sentAt } of responses) {
    const second = Math.floor(sentAt / 1000);
    let block = seconds.get(second);
    if (!block) seconds.set(second, (block = []));
    block.push(ms);
  }
  return [...seconds.values()];
}

const roundAll = (values: number[]) => values.map((v) => round(v, 2));

const shardOf = (shards: string, tenant: BenchTenant) => runtimeObjectName({ RUNTIME_SHARDS: shards }, { id: tenant.id, isolation: "shared", region: null });

async function makeTenants(api: Api, log: (line: string) => void): Promise<{ flooders: Flooder[]; quiet: Quiet[]; sharing: number }> {
  const shards = benchShards();
  const flooders = await Promise.all(
    FLOODERS.map(async (spec) => {
      const tenant = await api.createActiveTenant(spec.plan, spec.overrides);
      // The flood asks GET /v1/me: the whole pipeline (credential, limits, runtime admission) without
      // a database read, so what the flood costs is the platform's and not Postgres's on this machine.
      return { ...spec, tenant, path: FLOOD_OF_HELLOS ? "/bench/hello" : "/v1/me" };
    }),
  );
  const floodShards = new Set(flooders.map((flooder) => shardOf(shards, flooder.tenant)));
  // Quiet tenants on the flooders' shards: made in waves of ten until enough landed there.
  const wanted = { free: QUIET_PLANS.filter((q) => q.plan === "free").length, pro: QUIET_PLANS.filter((q) => q.plan === "pro").length };
  const onShared: Record<"free" | "pro", BenchTenant[]> = { free: [], pro: [] };
  const elsewhere: Record<"free" | "pro", BenchTenant[]> = { free: [], pro: [] };
  for (let made = 0; made < MAX_QUIET_CANDIDATES && (onShared.free.length < wanted.free || onShared.pro.length < wanted.pro); made += 10) {
    const plans = Array.from({ length: 10 }, (_, i) => (onShared.free.length < wanted.free && (i % 2 === 0 || onShared.pro.length >= wanted.pro) ? "free" : "pro"));
    const made10 = await Promise.all(plans.map((plan) => api.createActiveTenant(plan)));
    for (const tenant of made10) {
      const plan = tenant.plan as "free" | "pro";
      (floodShards.has(shardOf(shards, tenant)) ? onShared : elsewhere)[plan].push(tenant);
    }
  }
  const pick = (plan: "free" | "pro", n: number) => [...onShared[plan], ...elsewhere[plan]].slice(0, n);
  const chosen = { free: pick("free", wanted.free), pro: pick("pro", wanted.pro) };
  const counters = { free: 0, pro: 0 };
  const quiet = await Promise.all(
    QUIET_PLANS.map(async ({ plan, rate }) => {
      const tenant = chosen[plan][counters[plan]++]!;
      return { plan, rate, tenant, path: (await readPathFor(api, tenant)).path };
    }),
  );
  const sharing = quiet.filter((q) => floodShards.has(shardOf(shards, q.tenant))).length;
  if (FLOOD_OF_HELLOS) log("  control run (BENCH_NOISY_FLOOD=hello): the flood asks /bench/hello, not the platform");
  if (FLOOD_APART) log("  control run (BENCH_NOISY_FLOOD=apart): the flood asks a copy of the Worker in isolates of its own");
  log(`  tenants: ${flooders.length} flooding on ${floodShards.size} shards; ${sharing} of ${quiet.length} quiet tenants share a shard with a flooder`);
  return { flooders, quiet, sharing };
}

/** The admission wait histogram per plan from `/metrics` (cumulative counts by bucket bound). */
async function admissionWaits(api: Api): Promise<Record<string, { buckets: Map<string, number>; sum: number; count: number }>> {
  const response = await api.request("GET", "/metrics");
  const text = typeof response.body === "string" ? response.body : "";
  const waits: Record<string, { buckets: Map<string, number>; sum: number; count: number }> = {};
  for (const line of text.split("\n")) {
    const match = /^tenantry_admission_wait_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const plan = labels.plan ?? "";
    const entry = (waits[plan] ??= { buckets: new Map(), sum: 0, count: 0 });
    if (match[1] === "bucket") entry.buckets.set(labels.le ?? "", Number(match[3]));
    else if (match[1] === "sum") entry.sum = Number(match[3]);
    else entry.count = Number(match[3]);
  }
  return waits;
}

/** What the runs between two scrapes added: per plan, admissions, mean wait, the bound under which 99 % fell. */
function waitsBetween(before: Awaited<ReturnType<typeof admissionWaits>>, after: Awaited<ReturnType<typeof admissionWaits>>) {
  const result: Record<string, { admissions: number; meanMs: number | null; p99AtMostMs: number | null }> = {};
  for (const [plan, end] of Object.entries(after)) {
    const start = before[plan] ?? { buckets: new Map<string, number>(), sum: 0, count: 0 };
    const admissions = end.count - start.count;
    let p99: number | null = null;
    if (admissions > 0) {
      for (const [le, count] of end.buckets) {
        if (count - (start.buckets.get(le) ?? 0) >= 0.99 * admissions) {
          p99 = le === "+Inf" ? Infinity : Number(le) * 1000;
          break;
        }
      }
    }
    result[plan] = { admissions, meanMs: admissions > 0 ? round(((end.sum - start.sum) / admissions) * 1000, 3) : null, p99AtMostMs: p99 };
  }
  return result;
}

export const noisyScenario: Scenario = {
  id: "noisy",
  title: "noisy neighbours: 10 quiet tenants' p99 alone vs while 10 tenants of mixed plans flood at 10x their limits",
  async run(ctx) {
    const { noisy } = ctx.profile;
    const { flooders, quiet, sharing } = await memo(ctx, "noisy-tenants", () => makeTenants(ctx.api, ctx.log));
    const base = ctx.stack.baseUrl;
    const floodBase = FLOOD_APART ? ctx.stack.apartUrl! : base;
    // Each quiet answer's Server-Timing is kept: the tail's phases, alone and during, say what made it.
    const timedAlone: TimedResponse[] = [];
    const timedDuring: TimedResponse[] = [];
    const quietLoads = (durationS: number, timed?: TimedResponse[]) =>
      Promise.all(
        quiet.map(async (q, k) => {
          const run = await runPaced(base, { label: `quiet ${q.plan}`, path: q.path, headers: { authorization: `Bearer ${q.tenant.key}` }, rate: q.rate, durationS, phaseMs: phaseMs(k, q.rate), keepServerTiming: timed !== undefined });
          timed?.push(...(run.timed ?? []));
          return run;
        }),
      );
    const floodSpecs = (durationS: number) =>
      flooders.map((f) => ({ label: `flood ${f.plan}`, path: f.path, headers: { authorization: `Bearer ${f.tenant.key}` }, rate: f.rate * FLOOD_FACTOR, durationS, maxInFlight: FLOOD_MAX_IN_FLIGHT }));
    // Beside the quiet tenants, the flood comes from a process of its own, as other clients would.
    // Alone it runs here, where the machine's CPU per flood request is measured.
    const floodLoads = (durationS: number) => Promise.all(floodSpecs(durationS).map((spec) => runPaced(floodBase, spec)));
    const floodApart = (durationS: number) => runPacedApart(floodBase, floodSpecs(durationS));
    const offered = flooders.reduce((sum, f) => sum + f.rate * FLOOD_FACTOR, 0);

    ctx.log(`  warm-up: quiet tenants and the flood (${ctx.profile.warmupS} s)`);
    await Promise.all([quietLoads(ctx.profile.warmupS), floodApart(ctx.profile.warmupS).results]);
    await sleep(2500); // buckets refill, refusals drain
    // The flood alone: what the machine spends per answered flood request (nearly all 429).
    const floodAloneRuns = await floodLoads(Math.max(3, noisy.runS / 2));
    const floodAlone = together("flood alone", floodAloneRuns);
    const floodCpu = row("flood alone", floodAlone).cpu;
    ctx.log(
      `  flood alone: ${floodAlone.requests} answered in ${floodAloneRuns[0]!.durationS.toFixed(1)} s (${floodAlone.statusCodes["429"] ?? 0} × 429)` +
        (floodCpu ? `, CPU ${floodCpu.msPerResponse.total} ms/response, machine ${Math.round(((floodCpu.busy.ours ?? 0) + (floodCpu.busy.others ?? 0)) * 100)}% busy` : ""),
    );
    await sleep(2500);

    const alone: LoadResult[] = [];
    const during: LoadResult[] = [];
    const admittedOverBound: Array<{ plan: string; tenant: string; admitted: number; bound: number; seconds: number }> = [];
    const floodRuns: LoadResult[] = [];
    const waitsBefore = await admissionWaits(ctx.api);
    const measureAlone = async () => {
      const result = together("quiet alone", await quietLoads(noisy.runS, timedAlone));
      alone.push(result);
      ctx.log(`  quiet alone: p50 ${result.okLatency.p50.toFixed(1)} ms, p99 ${result.okLatency.p99.toFixed(1)} ms, ${result.ok} ok, non-2xx ${result.non2xx}, errors ${result.errors}`);
    };
    const measureDuring = async () => {
      // The flood starts first and ends last, so the quiet runs sit wholly inside it.
      const flood = floodApart(noisy.runS + 2);
      await flood.started;
      await sleep(1000);
      const result = together("quiet during", await quietLoads(noisy.runS, timedDuring));
      during.push(result);
      const floods = await flood.results;
      floodRuns.push(...floods);
      floods.forEach((run, index) => {
        const f = flooders[index]!;
        admittedOverBound.push({ plan: f.plan, tenant: f.tenant.id, admitted: run.ok, bound: f.burst + f.rate * run.durationS, seconds: Math.round(run.durationS * 100) / 100 });
      });
      const merged = together("flood", floods);
      ctx.log(
        `  quiet during flood: p50 ${result.okLatency.p50.toFixed(1)} ms, p99 ${result.okLatency.p99.toFixed(1)} ms, non-2xx ${result.non2xx}, errors ${result.errors}; ` +
          `flood: ${merged.requests} answered, ${merged.statusCodes["429"] ?? 0} × 429, ${(merged.ok / floods[0]!.durationS).toFixed(1)} admitted/s, errors ${merged.errors}`,
      );
      await sleep(2500);
    };
    for (let round = 0; round < noisy.rounds; round++) {
      // alone, during | during, alone | …: short rounds, so that drift of the machine (its slow
      // spells last seconds to minutes) hits both sides alike.
      if (round % 2 === 0) {
        await measureAlone();
        await measureDuring();
      } else {
        await measureDuring();
        await measureAlone();
      }
    }
    const waits = waitsBetween(waitsBefore, await admissionWaits(ctx.api));
    ctx.log(`  admission waits per plan: ${JSON.stringify(waits)}`);
    const tails = { alone: tailBreakdown(timedAlone), during: tailBreakdown(timedDuring) };
    for (const [when, tail] of Object.entries(tails)) {
      ctx.log(`  quiet ${when}, median fifth: ${describeBreakdown(tail.median)}`);
      ctx.log(`  quiet ${when}, slowest 1 %:  ${describeBreakdown(tail.slowest1pct)}`);
    }

    const quietAlone = mergeLoad("quiet tenants alone", alone);
    // CPU of the concurrent runs cannot be split between the tenants: left out of their rows.
    const quietDuring = { ...mergeLoad("quiet tenants during the flood", during), cpu: undefined };
    const flood = { ...mergeLoad(`flooding tenants (${offered} req/s offered)`, floodRuns), cpu: undefined };
    // How far a second run on this machine could move the p99 ratio: a few hundred answers a side.
    const interval = bootstrapPercentileRatio(bySecond(timedAlone), bySecond(timedDuring), 99).map((v) => round(v, 3)) as [number | null, number | null];
    const worst = admittedOverBound.reduce((max, entry) => Math.max(max, entry.admitted / entry.bound), 0);
    const over = admittedOverBound.filter((entry) => entry.admitted > entry.bound);
    return {
      status: "ok",
      loads: [row(quietAlone.label, quietAlone), row(`flood alone (${offered} req/s offered)`, floodAlone), row(quietDuring.label, quietDuring), row(flood.label, flood)],
      figures: [
        figure(
          "noisy_p99_ratio",
          `quiet tenants' p99 during the flood / alone (${quietAlone.ok} / ${quietDuring.ok} answers; 90 % bootstrap ${interval.map((v) => v?.toFixed(2) ?? "–").join("–")})`,
          quietDuring.okLatency.p99 / quietAlone.okLatency.p99,
          "ratio",
          { op: "<=", value: 1.2 },
        ),
        figure("noisy_p50_ratio", "quiet tenants' p50 during the flood / alone", quietDuring.okLatency.p50 / quietAlone.okLatency.p50, "ratio"),
        figure("quiet_refused", "quiet requests refused or failed during the flood", quietDuring.non2xx + quietDuring.errors, "requests", { op: "<=", value: 0 }),
        figure("flood_admitted_over_bound", "most admitted by a flooding tenant / (burst + rate × t)", worst, "ratio", { op: "<=", value: 1 }),
        ...(floodCpu?.msPerResponse.total != null ? [figure("flood_cpu_ms", "CPU per answered flood request (nearly all 429), flood alone", floodCpu.msPerResponse.total ?? NaN, "ms")] : []),
        ...Object.entries(waits).map(([plan, w]) => figure(`admission_wait_mean_ms_${plan}`, `mean admission wait (${plan}; ${w.admissions} admissions)`, w.meanMs ?? NaN, "ms")),
      ],
      details: {
        quietP99AloneMs: quietAlone.okLatency.p99,
        quietP99DuringMs: quietDuring.okLatency.p99,
        quietP99RatioBootstrap90: interval,
        quietTenantsSharingAShardWithAFlooder: sharing,
        floodOfHellos: FLOOD_OF_HELLOS,
        floodApart: FLOOD_APART,
        floodOfferedRps: offered,
        floodAnsweredRps: flood.requests / (flood.durationS / flooders.length),
        floodAdmittedRps: flood.ok / (flood.durationS / flooders.length),
        quietStatusCodesAlone: quietAlone.statusCodes,
        floodStatusCodes: flood.statusCodes,
        floodErrors: flood.errors,
        quietStatusCodesDuring: quietDuring.statusCodes,
        floodAdmittedVsBound: admittedOverBound,
        floodOverBound: over,
        admissionWaitsPerPlan: waits,
        quietServerTiming: tails,
        // Every quiet answer's latency, by the second it was sent: runs pool into one figure (bench/pool-noisy.ts).
        quietLatencyMsBySecond: { alone: bySecond(timedAlone).map(roundAll), during: bySecond(timedDuring).map(roundAll) },
        floodAlone: { answeredRps: floodAlone.requests / floodAloneRuns[0]!.durationS, statusCodes: floodAlone.statusCodes, cpu: floodCpu ?? null },
        flooders: flooders.map((f) => ({ plan: f.plan, rate: f.rate, burst: f.burst, offeredRps: f.rate * FLOOD_FACTOR })),
        quiet: quiet.map((q) => ({ plan: q.plan, rate: q.rate })),
      },
    };
  },
};
