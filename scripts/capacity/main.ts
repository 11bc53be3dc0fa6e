// `npm run capacity -- --rps 50000 --tenants 10000 --mix read=0.8,write=0.15,realtime=0.05`
// Prints the capacity and cost model (docs/CAPACITY.md) for a workload, from the counts of the
// newest benchmark run. Exit 2 on bad input or missing counts.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, UsageError } from "./cli.ts";
import { MissingCountError } from "./counts.ts";
import { ceilings, costPerMillion, EXAMPLE_TENANTS, monthlyCost, tenantMonthly } from "./model.ts";
import { limitValues, priceValues } from "./prices.ts";
import { ceilingTable, citations, costTable, monthlyTable, num, table, usd } from "./render.ts";
import { countsFromFile, latestCounts } from "./results.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function main(argv: string[]): number {
  const options = parseArgs(argv);
  const loaded = options.results ? countsFromFile(options.results) : latestCounts(path.join(ROOT, "bench/results"));
  const prices = priceValues();
  const limits = { ...limitValues() };
  if (options.rttMs !== undefined) limits.postgresRttMs = options.rttMs;
  if (options.neonCu !== undefined) limits.neonMaxCu = options.neonCu;
  if (options.statementsPerCu !== undefined) limits.neonStatementsPerCuSecond = options.statementsPerCu;
  const workload = { rps: options.rps, tenants: options.tenants, mix: options.mix, shards: options.shards };
  const mix = Object.entries(options.mix).map(([k, v]) => `${k}=${v}`).join(",");

  console.log(`Capacity model: ${num(workload.rps)} req/s over ${num(workload.tenants)} tenants (${num(workload.rps / workload.tenants)} req/s each), mix ${mix}, ${workload.shards} runtime shards`);
  console.log(`Counts: ${path.relative(process.cwd(), loaded.file)}, measured ${loaded.report.measuredAt}${loaded.loadAverage ? `, load average ${loaded.loadAverage.join(" ")}` : ""}\n`);

  const cost = monthlyCost(loaded.report, workload, prices, limits);
  console.log(`Month (30 days, allowances taken off): ${usd(cost.total)}, ${usd(cost.total / (workload.rps * 2.592))} per million requests, ${usd(cost.total / workload.tenants)} per tenant\n`);
  console.log(monthlyTable(cost, limits.neonMaxCu));

  console.log("\nCeilings for this mix (the first gives way first)\n");
  const list = ceilings(loaded.report, workload, limits);
  console.log(ceilingTable(list));
  const shard = (shards: number) => ceilings(loaded.report, { ...workload, shards }, limits).find((c) => c.id === "shard")!.rps;
  console.log(`\nPer runtime shard: ${num(shard(1))} req/s of this mix; whole shared tier: ${num(shard(16))} req/s at 16 shards, ${num(shard(64))} at 64.`);
  console.log(`First to give way: ${list[0]!.label} at ${num(list[0]!.rps)} req/s. What to change: ${list[0]!.change}.`);
  const over = list.filter((c) => c.utilization >= 1);
  if (over.length > 0) console.log(`Over the limit at ${num(workload.rps)} req/s: ${over.map((c) => c.id).join(", ")}.`);
  for (const rps of [10_000, 50_000, 100_000]) {
    const first = ceilings(loaded.report, { ...workload, rps }, limits)[0]!;
    console.log(`  at ${num(rps)} req/s: ${first.id} ${first.rps < rps ? `is exceeded (${(rps / first.rps).toFixed(1)}× its ceiling)` : `gives way first, at ${num(first.rps)} req/s`}`);
  }

  console.log("\nCost per million units of each kind (marginal: no allowances, no base)\n");
  console.log(costTable(costPerMillion(loaded.report, prices, limits)));

  console.log("\nExample tenants, per month (marginal)\n");
  console.log(
    table(
      ["tenant", "USD/month", "provisioning (once)"],
      EXAMPLE_TENANTS.map((t) => {
        const month = tenantMonthly(loaded.report, t, prices, limits);
        return [t.label, usd(month.total), usd(month.provisioning)];
      }),
    ),
  );
  console.log("\nPrices and limits\n");
  console.log(citations());
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof MissingCountError || error instanceof RangeError) {
    console.error(error.message);
    process.exitCode = 2;
  } else throw error;
}
