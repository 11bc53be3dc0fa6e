// The data-plane read every throughput scenario measures, and its tenant.
import { UNLIMITED, type Api, type BenchTenant } from "./admin.ts";
import { memo, type BenchContext, type ReadTarget } from "./scenario.ts";

export const READ_MAP = "bench";
export const READ_KEY = "k1";
export const READ_VALUE = { name: "benchmark record", count: 42, tags: ["a", "b", "c"] };

/**
 * GET /v1/maps/bench/k1 when the maps API answers; GET /v1/me otherwise (the maps API was still
 * being built when the suite was written). The results say which one ran.
 */
export async function readPathFor(api: Api, tenant: BenchTenant): Promise<Pick<ReadTarget, "path" | "kind">> {
  const put = await api.request("PUT", `/v1/maps/${READ_MAP}/${READ_KEY}`, { token: tenant.key, body: READ_VALUE });
  if (put.status === 200) {
    const get = await api.request("GET", `/v1/maps/${READ_MAP}/${READ_KEY}`, { token: tenant.key });
    if (get.status === 200) return { path: `/v1/maps/${READ_MAP}/${READ_KEY}`, kind: "maps" };
  }
  return { path: "/v1/me", kind: "me" };
}

export function readTarget(ctx: BenchContext): Promise<ReadTarget> {
  return memo(ctx, "read-target", async () => {
    const tenant = await ctx.api.createActiveTenant("pro", UNLIMITED);
    const { path, kind } = await readPathFor(ctx.api, tenant);
    ctx.log(`  read target: GET ${path} (${kind === "maps" ? "maps API" : "maps API not mounted: /v1/me"}) as ${tenant.id}`);
    return { tenant, path, kind, headers: { Authorization: `Bearer ${tenant.key}` } };
  });
}
