// Percentiles and small number helpers. Latencies are kept as raw samples (ms, float) so that
// percentiles are exact, not bucketed.
import { seededRandom } from "./seeded-random.ts";

/** Nearest-rank percentile of an ascending array; NaN for an empty one. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

export function median(values: number[]): number {
  return percentile(sortedCopy(values), 50);
}

/** Rounds for JSON output: keeps 4 significant digits, never turns NaN into a number. */
export function round(value: number, digits = 4): number | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}

export function formatNumber(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(decimals);
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value)} ms`;
}

/**
 * A block bootstrap interval of percentile(b) / percentile(a), at the `p`-th percentile: each side
 * drawn again as many blocks as it has, with replacement, the ratio taken each time, and the
 * `(1 - level) / 2` and `(1 + level) / 2` quantiles of those ratios returned. Blocks, not single
 * answers, are drawn because a stall of the machine slows every answer of its second at once: drawn
 * one by one, answers that stalled together would look like independent evidence. Blocks of one
 * answer make it the plain bootstrap. It says how far the same machine, measuring the same thing
 * again, could move a tail ratio taken from a few hundred answers. Draws come from a fixed-seed
 * generator: the same samples give the same interval.
 */
export function bootstrapPercentileRatio(a: number[][], b: number[][], p: number, level = 0.9, rounds = 2000): [number, number] {
  const size = (blocks: number[][]) => blocks.reduce((sum, block) => sum + block.length, 0);
  if (size(a) === 0 || size(b) === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(0x5eed);
  const draw = (blocks: number[][]) => {
    const values: number[] = [];
    for (let i = 0; i < blocks.length; i++) values.push(...blocks[Math.floor(random() * blocks.length)]!);
    return values.length === 0 ? Number.NaN : percentile(sortedCopy(values), p);
  };
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const ratio = draw(b) / draw(a);
    if (Number.isFinite(ratio)) ratios.push(ratio);
  }
  const sorted = sortedCopy(ratios);
  return [percentile(sorted, ((1 - level) / 2) * 100), percentile(sorted, ((1 + level) / 2) * 100)];
}
