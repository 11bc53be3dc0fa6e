// Latency of one request at a time: what a single user sees, and the only fair measure under a
// delayed network model (throughput under added delay measures the delay). Variants interleave
// A B … B A per round, so slow drift of a shared machine hits them alike.
import type { BenchContext } from "./scenario.ts";
import { summarize, type Summary } from "./stats.ts";

export interface SequentialVariant {
  id: string;
  label: string;
  path: string;
  headers?: Record<string, string>;
}

export interface SequentialResult {
  variant: SequentialVariant;
  latency: Summary;
  /** Answers that were not 2xx (not counted in the latency). */
  failures: number;
}

const ROUNDS = 5;
const WARMUP = 10;

/** `requests` measured per variant (rounded up to whole rounds), after a few unmeasured ones each. */
export async function compareSequential(ctx: BenchContext, variants: SequentialVariant[], requests: number): Promise<SequentialResult[]> {
  const samples = variants.map(() => [] as number[]);
  const failures = variants.map(() => 0);
  const once = async (index: number, record: boolean) => {
    const variant = variants[index]!;
    const started = performance.now();
    const response = await fetch(`${ctx.stack.baseUrl}${variant.path}`, { headers: variant.headers });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    if (!record) return;
    if (response.status >= 300) failures[index]!++;
    else samples[index]!.push(ms);
  };
  ctx.log(`  sequential warm-up: ${WARMUP} requests per variant (network ${ctx.stack.network})`);
  for (const index of variants.keys()) for (let i = 0; i < WARMUP; i++) await once(index, false);
  const perRun = Math.max(1, Math.ceil(requests / ROUNDS / 2));
  const order = [...variants.keys(), ...[...variants.keys()].reverse()];
  for (let round = 0; round < ROUNDS; round++) {
    for (const index of order) for (let i = 0; i < perRun; i++) await once(index, true);
  }
  return variants.map((variant, index) => {
    const latency = summarize(samples[index]!);
    ctx.log(`  ${variant.label}: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(1)} ms (sequential, ${latency.count} requests, ${failures[index]} failures)`);
    return { variant, latency, failures: failures[index]! };
  });
}
