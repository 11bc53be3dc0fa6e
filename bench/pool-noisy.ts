// Pools the noisy scenario's quiet answers over several benchmark runs into one p99 ratio.
// One full run puts each side's p99 on its 15 slowest of 1,500 answers, and its 90 % interval is
// about a factor of two wide on a 2-core machine; eight runs put it on 120 of 12,000.
//
//   npx tsx bench/pool-noisy.ts bench/results/<run>.json [more runs…]
//
// Prints each run's ratio and the pooled one, with a bootstrap interval that resamples the
// seconds of all runs together (the same estimator as the scenario's own).
import { readFileSync } from "node:fs";
import { bootstrapPercentileRatio, percentile, sortedCopy } from "./lib/stats.ts";

interface NoisyDetails {
  quietLatencyMsBySecond?: { alone: number[][]; during: number[][] };
}

function noisyDetails(file: string): NoisyDetails["quietLatencyMsBySecond"] {
  const run = JSON.parse(readFileSync(file, "utf8")) as { scenarios?: Array<{ id: string; details?: NoisyDetails }> };
  const latencies = run.scenarios?.find((scenario) => scenario.id === "noisy")?.details?.quietLatencyMsBySecond;
  if (!latencies) throw new Error(`${file}: no noisy scenario with per-answer latencies (run it with a benchmark from session 17 on)`);
  return latencies;
}

const p99 = (blocks: number[][]) => percentile(sortedCopy(blocks.flat()), 99);
const ms = (value: number) => `${value.toFixed(1)} ms`;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: npx tsx bench/pool-noisy.ts <results.json>…");
  process.exit(2);
}
const alone: number[][] = [];
const during: number[][] = [];
for (const file of files) {
  const run = noisyDetails(file)!;
  console.log(`${file}: p99 ${ms(p99(run.alone))} alone, ${ms(p99(run.during))} during, ratio ${(p99(run.during) / p99(run.alone)).toFixed(3)}`);
  alone.push(...run.alone);
  during.push(...run.during);
}
const [low, high] = bootstrapPercentileRatio(alone, during, 99);
console.log(
  `pooled over ${files.length} runs (${alone.flat().length} / ${during.flat().length} answers): ` +
    `p99 ${ms(p99(alone))} alone, ${ms(p99(during))} during, ratio ${(p99(during) / p99(alone)).toFixed(3)} (90 % bootstrap ${low.toFixed(2)}–${high.toFixed(2)})`,
);
