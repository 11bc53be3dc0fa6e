// The load generator: autocannon driven from Node, always bounded (duration, optional amount, and
// a hard stop a little after the planned end), always against 127.0.0.1. Latencies are taken per
// response (ms, float) so percentiles are exact and can be merged across rounds.
import autocannon from "autocannon";
import os from "node:os";
import { cpuDelta, cpuSnapshot, cpuSum, type CpuKey, type CpuTimes } from "./cpu.ts";
import { round, summarize, type Summary } from "./stats.ts";

export interface LoadSpec {
  label: string;
  path: string;
  method?: "GET" | "PUT" | "POST" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
  /** Stop after this many requests (still bounded by the hard stop). */
  amount?: number;
  /** Requests per second from all connections together (open-ish loop); default: as fast as possible. */
  overallRate?: number;
  /** Per request: change path or headers (e.g. pick a tenant). Must return the request. */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
}

export interface LoadResult {
  label: string;
  durationS: number;
  /** Responses received. */
  requests: number;
  /** 2xx responses. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx responses per second: the throughput figure every comparison uses. */
  okRps: number;
  /** Latency of every response, ms. */
  latency: Summary;
  /** Latency of 2xx responses only, ms. */
  okLatency: Summary;
  /** CPU ms spent during the run, per process group (Linux); undefined elsewhere. */
  cpu: CpuTimes | undefined;
  /** Raw samples, for merging rounds (not written to JSON). */
  samples: { all: number[]; ok: number[] };
}

/** The result of one run, from its samples (latencies in ms) and counts; both load runners use it. */
export function loadResult(run: {
  label: string;
  durationS: number;
  all: number[];
  ok: number[];
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  cpu: CpuTimes | undefined;
}): LoadResult {
  const { all, ok, durationS } = run;
  return {
    label: run.label,
    durationS,
    requests: all.length,
    ok: ok.length,
    non2xx: all.length - ok.length,
    errors: run.errors,
    timeouts: run.timeouts,
    statusCodes: run.statusCodes,
    okRps: durationS > 0 ? ok.length / durationS : 0,
    latency: summarize(all),
    okLatency: summarize(ok),
    cpu: run.cpu,
    samples: { all, ok },
  };
}

const HARD_STOP_GRACE_S = 15;

export function runLoad(baseUrl: string, spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.path, baseUrl);
  if (url.hostname !== "127.0.0.1") throw new Error(`benchmarks talk to 127.0.0.1 only, not ${url.hostname}`);
  const all: number[] = [];
  const ok: number[] = [];
  const cpuBefore = cpuSnapshot();
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: url.toString(),
        method: spec.method ?? "GET",
        headers: spec.headers ?? {},
        ...(spec.body === undefined ? {} : { body: spec.body }),
        connections: spec.connections,
        duration: spec.durationS,
        ...(spec.amount === undefined ? {} : { amount: spec.amount }),
        ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
        ...(spec.setupRequest ? { requests: [{ setupRequest: spec.setupRequest }] } : {}),
        timeout: 10,
        excludeErrorStats: false,
      },
      (error, result) => {
        clearTimeout(hardStop);
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
        const durationS = result.duration;
        resolve(
          loadResult({
            label: spec.label,
            durationS,
            all,
            ok,
            errors: result.errors,
            timeouts: result.timeouts,
            statusCodes,
            cpu: cpuDelta(cpuBefore, cpuSnapshot()),
          }),
        );
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      all.push(responseTime);
      if (statusCode >= 200 && statusCode < 300) ok.push(responseTime);
    });
    const hardStop = setTimeout(() => instance.stop(), (spec.durationS + HARD_STOP_GRACE_S) * 1000);
    stopCurrent.add(instance);
    void new Promise<void>((done) => instance.on("done", () => done())).then(() => stopCurrent.delete(instance));
  });
}

/** Running load generators, stopped at once on SIGINT. */
const stopCurrent = new Set<autocannon.Instance>();
export function stopAllLoad(): void {
  for (const instance of stopCurrent) instance.stop();
}

/** Several runs of the same load as one (sums counts, concatenates samples). */
export function mergeLoad(label: string, runs: LoadResult[]): LoadResult {
  const all = runs.flatMap((run) => run.samples.all);
  const ok = runs.flatMap((run) => run.samples.ok);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const durationS = runs.reduce((sum, run) => sum + run.durationS, 0);
  return {
    label,
    durationS,
    requests: all.length,
    ok: ok.length,
    non2xx: all.length - ok.length,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
    statusCodes,
    okRps: durationS > 0 ? ok.length / durationS : 0,
    latency: summarize(all),
    okLatency: summarize(ok),
    cpu: cpuSum(runs.map((run) => run.cpu)),
    samples: { all, ok },
  };
}

/** What goes to the JSON results and the table: no raw samples. */
export function loadRow(result: LoadResult) {
  const ms = (summary: Summary) => ({ p50: round(summary.p50), p95: round(summary.p95), p99: round(summary.p99), max: round(summary.max), mean: round(summary.mean) });
  return {
    label: result.label,
    durationS: round(result.durationS),
    requests: result.requests,
    ok: result.ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodes,
    okRps: round(result.okRps),
    latencyMs: ms(result.latency),
    okLatencyMs: ms(result.okLatency),
    ...(result.cpu ? { cpu: cpuRow(result) } : {}),
  };
}

/**
 * CPU ms per answered request, per process group; how busy the machine's CPUs were with the stack
 * and the load generator (`ours`), and with everything else running on it (`others`).
 */
function cpuRow(result: LoadResult) {
  const cpu = result.cpu!;
  const perRequest: Partial<Record<CpuKey | "total", number | null>> = {};
  let ours = 0;
  for (const [group, ms] of Object.entries(cpu) as Array<[CpuKey, number]>) {
    if (group === "machine") continue;
    ours += ms;
    perRequest[group] = result.requests > 0 ? round(ms / result.requests, 3) : null;
  }
  perRequest.total = result.requests > 0 ? round(ours / result.requests, 3) : null;
  const capacity = result.durationS * 1000 * os.cpus().length;
  return {
    msPerResponse: perRequest,
    busy: { ours: round(ours / capacity, 3), others: cpu.machine === undefined ? null : round(Math.max(0, cpu.machine - ours) / capacity, 3) },
  };
}
export type LoadRow = ReturnType<typeof loadRow>;
