// `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>…]]`
// Starts the local stack with the benchmark Worker (bench/wrangler.bench.toml) in a fresh temporary
// folder, runs the scenarios, prints a table, writes bench/results/<timestamp>.json and
// bench/results/latest.json, and stops every process it started, also on errors and Ctrl-C.
// Figures that matter are ratios taken within one run; absolute numbers depend on the machine.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../scripts/stack/local-stack.ts";
import { Api } from "./lib/admin.ts";
import { setCpuRoot } from "./lib/cpu.ts";
import { stopAllLoad } from "./lib/load.ts";
import { stopAllPaced } from "./lib/paced.ts";
import { codeVersion, conditions, machine } from "./lib/machine.ts";
import { PROFILES, type BenchContext, type Figure, type Scenario, type ScenarioResult } from "./lib/scenario.ts";
import { startBenchStack, type BenchStack } from "./lib/stack.ts";
import { parseNetworkModel } from "../scripts/stack/network-model.ts";
import { freePort } from "../scripts/stack/ports.ts";
import { saveProfile, topSelfTime, WorkerProfiler } from "./lib/cpu-profile.ts";
import { latencyScenario } from "./scenarios/latency.ts";
import { countsScenario } from "./scenarios/counts.ts";
import { formatMs, formatNumber } from "./lib/stats.ts";
import { renderTable } from "./lib/table.ts";
import { decisionScenario } from "./scenarios/decision.ts";
import { fullVsBare } from "./scenarios/full-vs-bare.ts";
import { gatewayScenario } from "./scenarios/gateway.ts";
import { helloVsFull } from "./scenarios/hello-vs-full.ts";
import { mapsThroughputScenario } from "./scenarios/maps-throughput.ts";
import { meteringScenario } from "./scenarios/metering.ts";
import { noisyScenario } from "./scenarios/noisy.ts";
import { promotionScenario } from "./scenarios/promotion.ts";
import { provisioningScenario } from "./scenarios/provisioning.ts";
import { realtimeScenario } from "./scenarios/realtime.ts";
import { tenantsScenario } from "./scenarios/tenants.ts";

/** In this order; metering last, because it restarts the Worker. */
const SCENARIOS: Scenario[] = [
  decisionScenario,
  helloVsFull,
  fullVsBare,
  latencyScenario,
  mapsThroughputScenario,
  tenantsScenario,
  noisyScenario,
  provisioningScenario,
  realtimeScenario,
  gatewayScenario,
  promotionScenario,
  countsScenario,
  meteringScenario,
];

const USAGE = `usage: npm run bench [-- --quick] [-- --only <id>[,<id>…]] [-- --network edge]
  --quick        shorter runs, 100 tenants, 10 provisioning (under 3 minutes)
  --network <m>  added delays on the Worker's hops: loopback (default), edge, or
                 postgres:25/2,runtime:10/1,upstash:2/0.4,origin:25/2 (round trip / jitter, ms); with edge and
                 without --only, only the latency scenarios run (throughput under delay measures the delay)
  --only <ids>   run only these scenarios: ${SCENARIOS.map((s) => s.id).join(", ")}
  --cpu-profile  a CPU profile of the Worker's isolate during each measured throughput run, saved
                 next to the results (.cpuprofile) with its top functions logged; slows the Worker,
                 so the run's ratios are not figures of record
  --list         list the scenarios and exit`;

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null; list: boolean; network: string; cpuProfile: boolean } {
  let quick = false;
  let cpuProfile = false;
  let network = "loopback";
  let list = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") quick = true;
    else if (arg === "--list") list = true;
    else if (arg === "--cpu-profile") cpuProfile = true;
    else if (arg === "--network" || arg.startsWith("--network=")) {
      const value = arg === "--network" ? argv[++i] : arg.slice("--network=".length);
      if (!value) throw new Error("--network needs a model: loopback, edge or a spec");
      parseNetworkModel(value); // fails early on a bad spec
      network = value;
    }
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      if (!value) throw new Error("--only needs a scenario id");
      only.push(...value.split(",").map((id) => id.trim()).filter(Boolean));
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  return { quick, only: only.length > 0 ? only : null, list, network, cpuProfile };
}

/** bench/wrangler.bench.toml must equal the top level of wrangler.toml but for name, main and comments. */
async function configDrift(): Promise<string | null> {
  const significant = (text: string) =>
    text
      .split("\n")
      .map((line) => line.replace(/#.*$/, "").trim())
      .filter((line) => line !== "" && !/^(name|main)\s*=/.test(line));
  const production = await readFile(path.join(PROJECT_ROOT, "wrangler.toml"), "utf8");
  const bench = await readFile(path.join(PROJECT_ROOT, "bench/wrangler.bench.toml"), "utf8");
  const top = significant(production.split(/^\[+env\./m)[0]!);
  const ours = significant(bench);
  if (top.join("\n") === ours.join("\n")) return null;
  const missing = top.filter((line) => !ours.includes(line));
  const extra = ours.filter((line) => !top.includes(line));
  return `bench/wrangler.bench.toml differs from the top level of wrangler.toml (missing: ${JSON.stringify(missing)}; extra: ${JSON.stringify(extra)})`;
}

function verdict(f: Figure): string {
  if (!f.target) return "";
  if (f.value === null) return "no value";
  if (f.met) return "met";
  const { op, value: target } = f.target;
  if (op === ">=") return target === 0 ? "MISSED" : `MISSED by ${(((target - f.value) / target) * 100).toFixed(0)}%`;
  return target === 0 ? `MISSED (${f.value})` : `MISSED: ${(f.value / target).toFixed(2)}× the target`;
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return "–";
  if (unit === "ms") return formatMs(value);
  if (unit === "ratio") return value.toFixed(3);
  if (unit === "ns") return `${formatNumber(value, 0)} ns`;
  if (unit === "trips") return `${formatNumber(value, 2)} trips`;
  return `${formatNumber(value, 0)} ${unit}`;
}

function printTables(results: ScenarioResult[]): void {
  const loadRows = results.flatMap((result) =>
    result.loads.map((load) => [
      result.id,
      load.variant,
      formatNumber(load.okRps, 1),
      formatMs(load.latencyMs.p50),
      formatMs(load.latencyMs.p99),
      String(load.requests),
      String(load.non2xx),
      String(load.errors),
      formatNumber(load.cpu?.msPerResponse.total, 2),
      load.cpu?.busy.others === null || load.cpu === undefined ? "–" : `${Math.round((load.cpu.busy.others ?? 0) * 100)}%`,
    ]),
  );
  if (loadRows.length > 0) {
    console.log("\nLoad runs (throughput = 2xx responses per second; latency of every response; CPU = stack + load generator per response;");
    console.log("others = share of the machine's CPUs used by processes outside this benchmark)\n");
    console.log(
      renderTable(
        ["scenario", "variant", "ok/s", "p50", "p99", "responses", "non-2xx", "errors", "CPU ms", "others"],
        loadRows,
        [false, false, true, true, true, true, true, true, true, true],
      ),
    );
  }
  const figureRows = results.flatMap((result) => {
    if (result.status !== "ok") return [[result.id, result.status === "skipped" ? "SKIPPED" : "FAILED", result.note ?? "", "", ""]];
    return result.figures.map((f) => [
      result.id,
      f.label,
      formatValue(f.value, f.unit) + (f.range && f.range[0] !== f.range[1] ? ` (blocks ${f.range.map((v) => (v === null ? "–" : v.toFixed(3))).join("–")})` : ""),
      f.target ? `${f.target.op} ${formatValue(f.target.value, f.unit)}` : "",
      verdict(f),
    ]);
  });
  console.log("\nFigures (ratios are taken within this run)\n");
  console.log(renderTable(["scenario", "figure", "value", "target", "verdict"], figureRows));
}

/** `--cpu-profile`: each measured run profiled, saved as bench/results/<start>-cpu-<n>-<variant>.cpuprofile. */
function profilerFor(port: number, startedAt: Date, log: (line: string) => void): NonNullable<BenchContext["profiler"]> {
  let opened: Promise<WorkerProfiler> | undefined;
  let runs = 0;
  return {
    async profile(label, work) {
      const profiler = await (opened ??= WorkerProfiler.open(port));
      const { result, profile } = await profiler.during(work);
      const slug = label.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60);
      const file = path.join(PROJECT_ROOT, "bench/results", `${startedAt.toISOString().replace(/[:.]/g, "-")}-cpu-${++runs}-${slug}.cpuprofile`);
      await mkdir(path.dirname(file), { recursive: true });
      await saveProfile(file, profile);
      log(`  CPU profile of ${label}: ${path.relative(PROJECT_ROOT, file)}; most self time:`);
      for (const { share, where } of topSelfTime(profile, 25)) log(`    ${(share * 100).toFixed(1).padStart(5)} %  ${where}`);
      return result;
    },
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of SCENARIOS) console.log(`${s.id.padEnd(14)} ${s.title}`);
    return 0;
  }
  const profile = PROFILES[args.quick ? "quick" : "full"];
  const delayed = args.network !== "loopback";
  const selected = SCENARIOS.filter((s) => (args.only ? args.only.includes(s.id) : !delayed || s.latency === true));
  const startedAt = new Date();
  const log = (line: string) => console.log(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const drift = await configDrift();
  if (drift) log(`WARNING: ${drift}`);
  const before = conditions();
  const code = codeVersion(); // the bundle is made from the tree as it is now
  log(`profile ${profile.name}; network ${args.network}; scenarios: ${selected.map((s) => s.id).join(", ")}; load average ${before.loadAverage.join(" ")}, ${before.vitestProcesses} vitest processes running`);

  let stack: BenchStack | undefined;
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the load and the stack`);
    stopAllLoad();
    stopAllPaced();
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  const results: ScenarioResult[] = [];
  try {
    log("starting the local stack (bench/wrangler.bench.toml)");
    // The stack's host opens workerd's inspector on this port (scripts/stack/worker-host.ts).
    if (args.cpuProfile) process.env.WORKER_INSPECTOR_PORT = String(await freePort());
    stack = await startBenchStack((line) => log(`stack: ${line}`), args.network);
    log(`stack ready at ${stack.baseUrl} (host pid ${stack.pid})`);
    setCpuRoot(stack.pid);
    const ctx: BenchContext = { profile, stack, api: new Api(stack.baseUrl, stack.adminToken), log, memo: new Map() };
    if (args.cpuProfile) ctx.profiler = profilerFor(Number(process.env.WORKER_INSPECTOR_PORT), startedAt, log);
    for (const scenario of selected) {
      if (interrupted) break;
      log(`▶ ${scenario.id}: ${scenario.title}`);
      const scenarioStarted = Date.now();
      try {
        const result = await scenario.run(ctx);
        results.push({ id: scenario.id, title: scenario.title, ...result, durationS: (Date.now() - scenarioStarted) / 1000 });
        if (result.status === "skipped") log(`  skipped: ${result.note}`);
      } catch (error) {
        log(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        results.push({
          id: scenario.id,
          title: scenario.title,
          status: "failed",
          note: error instanceof Error ? error.message.split("\n")[0] : String(error),
          durationS: (Date.now() - scenarioStarted) / 1000,
          loads: [],
          figures: [],
        });
      }
    }
  } finally {
    stopAllLoad();
    stopAllPaced();
    if (stack) {
      log("stopping the stack");
      await stack.stop();
    }
  }
  if (interrupted) return 130;

  const finishedAt = new Date();
  printTables(results);
  const report = {
    version: 1,
    profile: profile.name,
    network: args.network,
    only: args.only,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine: machine(),
    code,
    conditions: { before, after: conditions() },
    configDrift: drift,
    settings: profile,
    figures: results.flatMap((r) => r.figures.map((f) => ({ scenario: r.id, ...f }))),
    scenarios: results,
  };
  const dir = path.join(PROJECT_ROOT, "bench/results");
  await mkdir(dir, { recursive: true });
  const suffix = `${args.quick ? "-quick" : ""}${delayed ? `-${args.network.replace(/[^a-z0-9]+/gi, "_")}` : ""}`;
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, "-")}${suffix}.json`);
  const json = JSON.stringify(report, null, 2) + "\n";
  await writeFile(file, json);
  await writeFile(path.join(dir, "latest.json"), json);
  log(`done in ${report.durationS.toFixed(0)} s; results: ${path.relative(PROJECT_ROOT, file)} and bench/results/latest.json`);
  return results.some((r) => r.status === "failed") ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
