// What a scenario is, what it gets, what it returns, and the A/B comparison every ratio uses.
import type { Api, BenchTenant } from "./admin.ts";
import { loadRow, mergeLoad, runLoad, type LoadResult, type LoadRow, type LoadSpec } from "./load.ts";
import { round } from "./stats.ts";
import type { BenchStack } from "./stack.ts";

export interface Profile {
  name: "quick" | "full";
  /** Load before measuring each variant, not recorded. */
  warmupS: number;
  /** One measured run. */
  runS: number;
  /** A/B comparisons run as ABBA blocks (cancels linear drift); this many blocks. */
  blocks: number;
  /** Concurrent connections of throughput runs. */
  connections: number;
  tenants: number;
  tenantCreateConcurrency: number;
  provisioning: number;
  provisioningConcurrency: number;
  noisy: { runS: number; rounds: number };
  realtimeEvents: number;
  /** Sequential requests per variant in the latency scenario. */
  latencyRequests: number;
  decisionIterations: number;
}

export const PROFILES: Record<Profile["name"], Profile> = {
  quick: {
    name: "quick",
    warmupS: 2,
    runS: 4,
    blocks: 1,
    connections: 8,
    tenants: 100,
    tenantCreateConcurrency: 10,
    provisioning: 10,
    provisioningConcurrency: 5,
    noisy: { runS: 4, rounds: 2 },
    realtimeEvents: 50,
    latencyRequests: 60,
    decisionIterations: 50_000,
  },
  full: {
    name: "full",
    warmupS: 5,
    runS: 8,
    blocks: 2,
    connections: 8,
    tenants: 1000,
    tenantCreateConcurrency: 10,
    provisioning: 50,
    provisioningConcurrency: 5,
    noisy: { runS: 5, rounds: 6 },
    realtimeEvents: 300,
    latencyRequests: 300,
    decisionIterations: 200_000,
  },
};

export interface Target {
  op: ">=" | "<=";
  value: number;
}

/** A headline number: a ratio or a latency, with its target when the issue sets one. */
export interface Figure {
  id: string;
  label: string;
  value: number | null;
  unit: string;
  target?: Target;
  /** null when there is no target or no value. */
  met?: boolean | null;
  /** Spread over the ABBA blocks of the same run (ratios only). */
  range?: [number | null, number | null];
  note?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: "ok" | "skipped" | "failed";
  note?: string;
  durationS?: number;
  loads: Array<LoadRow & { variant: string }>;
  figures: Figure[];
  details?: Record<string, unknown>;
}

export interface BenchContext {
  profile: Profile;
  stack: BenchStack;
  api: Api;
  log: (line: string) => void;
  /** Things made once and shared by scenarios (tenants, the read target). */
  memo: Map<string, Promise<unknown>>;
  /** `--cpu-profile`: profiles each measured throughput run (bench/lib/cpu-profile.ts). */
  profiler?: { profile<T>(label: string, work: () => Promise<T>): Promise<T> };
}

export interface Scenario {
  id: string;
  title: string;
  /** Measures latency (sequential requests), so it also runs under a delayed network model. */
  latency?: boolean;
  run(ctx: BenchContext): Promise<Omit<ScenarioResult, "id" | "title">>;
}

export function figure(id: string, label: string, value: number, unit: string, target?: Target, extra: Partial<Figure> = {}): Figure {
  const finite = Number.isFinite(value);
  return {
    id,
    label,
    value: finite ? round(value) : null,
    unit,
    ...(target ? { target } : {}),
    met: target && finite ? (target.op === ">=" ? value >= target.value : value <= target.value) : null,
    ...extra,
  };
}

export function memo<T>(ctx: BenchContext, key: string, make: () => Promise<T>): Promise<T> {
  let value = ctx.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = make();
    ctx.memo.set(key, value);
  }
  return value;
}

export type VariantSpec = Omit<LoadSpec, "durationS" | "connections"> & { connections?: number };

export interface Comparison {
  /** Each variant's runs merged, in the order given. */
  results: LoadResult[];
  /** okRps of each variant / okRps of the first, over everything measured. */
  ratios: number[];
  /** The same ratios per block: blockRatios[variant][block]. */
  blockRatios: number[][];
}

/**
 * Throughput of variants in one run: warm each, then blocks that run the variants forward and
 * backward (A B B A, or A B C C B A), each run half of `runS`, so that slow drift of a shared
 * machine (other processes, caches filling, JIT) hits every variant alike.
 */
export async function compareThroughput(ctx: BenchContext, variants: VariantSpec[]): Promise<Comparison> {
  const { profile, stack } = ctx;
  const spec = (variant: VariantSpec, durationS: number): LoadSpec => ({ connections: profile.connections, ...variant, durationS });
  ctx.log(`  warm-up: ${variants.map((v) => v.label).join(", ")} (${profile.warmupS} s each)`);
  for (const variant of variants) await runLoad(stack.baseUrl, spec(variant, profile.warmupS));
  const runs: LoadResult[][] = variants.map(() => []);
  const blockRatios: number[][] = variants.map(() => []);
  for (let block = 0; block < profile.blocks; block++) {
    const inBlock: LoadResult[][] = variants.map(() => []);
    const order = [...variants.keys(), ...[...variants.keys()].reverse()];
    for (const index of order) {
      const variant = variants[index]!;
      const measure = () => runLoad(stack.baseUrl, spec(variant, profile.runS / 2));
      const result = ctx.profiler ? await ctx.profiler.profile(variant.label, measure) : await measure();
      runs[index]!.push(result);
      inBlock[index]!.push(result);
      const cpu = loadRow(result).cpu;
      ctx.log(
        `  ${variant.label}: ${result.okRps.toFixed(1)} ok/s, p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(1)} ms, ` +
          `non-2xx ${result.non2xx}, errors ${result.errors}` +
          (cpu ? `, CPU ${cpu.msPerResponse.total} ms/response, others busy ${Math.round((cpu.busy.others ?? 0) * 100)}%` : ""),
      );
    }
    const base = mergeLoad("base", inBlock[0]!).okRps;
    inBlock.forEach((results, index) => blockRatios[index]!.push(mergeLoad("v", results).okRps / base));
  }
  const results = variants.map((variant, index) => mergeLoad(variant.label, runs[index]!));
  return { results, ratios: results.map((result) => result.okRps / results[0]!.okRps), blockRatios };
}

export function ratioRange(values: number[]): [number | null, number | null] {
  return [round(Math.min(...values)), round(Math.max(...values))];
}

export const row = (variant: string, result: LoadResult) => ({ variant, ...loadRow(result) });

/** The tenant every single-tenant throughput run uses: limits out of the way, one record written. */
export interface ReadTarget {
  tenant: BenchTenant;
  /** Data-plane read path, e.g. /v1/maps/bench/k1 (or /v1/me while maps are not mounted). */
  path: string;
  kind: "maps" | "me";
  headers: Record<string, string>;
}
