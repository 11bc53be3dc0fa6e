// The same total load on one tenant vs spread over many (1000; 100 with --quick) with
// zipf-distributed traffic (s = 1.1): isolate caches, Upstash copies, shard objects and Postgres
// all see many tenants instead of one.
import type { Request as AutocannonRequest } from "autocannon";
import { mapLimit, UNLIMITED, type BenchTenant } from "../lib/admin.ts";
import { compareThroughput, figure, memo, ratioRange, row, type BenchContext, type Scenario } from "../lib/scenario.ts";
import { readPathFor, READ_KEY, READ_MAP, READ_VALUE } from "../lib/targets.ts";
import { seededRandom } from "../lib/seeded-random.ts";
import { zipf } from "../lib/zipf.ts";

const ZIPF_S = 1.1;
const SEED = 20260423;

export function manyTenants(ctx: BenchContext, count: number): Promise<BenchTenant[]> {
  return memo(ctx, `tenants-${count}`, async () => {
    const started = Date.now();
    ctx.log(`  creating ${count} tenants through POST /v1/tenants (concurrency ${ctx.profile.tenantCreateConcurrency}, waves of 50)`);
    const tenants = await ctx.api.createActiveTenants(count, "pro", UNLIMITED, {
      concurrency: ctx.profile.tenantCreateConcurrency,
      onProgress: (active) => {
        if (active % 200 === 0 || active === count) ctx.log(`  ${active}/${count} active (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      },
    });
    ctx.log(`  ${count} tenants active in ${((Date.now() - started) / 1000).toFixed(1)} s; writing one record each`);
    await mapLimit(tenants, ctx.profile.tenantCreateConcurrency, (tenant) => ctx.api.putRecord(tenant, READ_MAP, READ_KEY, READ_VALUE));
    return tenants;
  });
}

export const tenantsScenario: Scenario = {
  id: "tenants",
  title: "1 tenant vs many tenants (zipf s=1.1), same total load",
  async run(ctx) {
    const count = ctx.profile.tenants;
    const setupStarted = Date.now();
    const tenants = await manyTenants(ctx, count);
    const setupS = (Date.now() - setupStarted) / 1000;
    const { path, kind } = await readPathFor(ctx.api, tenants[0]!);
    const authorization = tenants.map((tenant) => `Bearer ${tenant.key}`);
    const ranks = zipf(count, ZIPF_S, seededRandom(SEED));
    const spread = (request: AutocannonRequest): AutocannonRequest => {
      request.headers = { ...request.headers, authorization: authorization[ranks.next()]! };
      return request;
    };
    const { results, ratios, blockRatios } = await compareThroughput(ctx, [
      { label: "1 tenant", path, headers: { authorization: authorization[0]! } },
      { label: `${count} tenants (zipf s=${ZIPF_S})`, path, setupRequest: spread },
    ]);
    const [one, many] = results as [(typeof results)[0], (typeof results)[0]];
    let top10 = 0;
    for (let k = 0; k < Math.min(10, count); k++) top10 += ranks.probability(k);
    return {
      status: "ok",
      ...(kind === "me" ? { note: "maps API not mounted: compared GET /v1/me" } : {}),
      loads: [row(one.label, one), row(many.label, many)],
      figures: [
        figure("many_over_one", `${count} tenants / 1 tenant (throughput)`, ratios[1]!, "ratio", { op: ">=", value: 0.95 }, { range: ratioRange(blockRatios[1]!) }),
      ],
      details: {
        tenants: count,
        zipfS: ZIPF_S,
        shareOfTop1: ranks.probability(0),
        shareOfTop10: top10,
        shareOfLast: ranks.probability(count - 1),
        setupS,
        readPath: path,
      },
    };
  },
};
