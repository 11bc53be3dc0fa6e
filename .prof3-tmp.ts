import { createApp } from "./src/app.ts";
import { keyRecordCache, tenantContextCache } from "./src/edge/tenant-loader.ts";
import { hashApiKey } from "./src/keys/api-keys.ts";
import { effectiveLimits, planFeatures } from "./src/core/plans.ts";
const origGet = Map.prototype.get;
Map.prototype.get = function (this: Map<any, any>, key: any) { if (typeof key === "string" && key.endsWith(":bucket") && key.startsWith("tenantry:tenant:")) return Date.now() + 1e6; return origGet.call(this, key); };
const app = createApp({ testHooks: false });
const env: any = { ADMIN_TOKEN: "x", TENANT_CACHE_TTL_MS: "3600000", RUNTIME_SHARDS: "16", UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t", DATABASE_URL: "postgres://x@127.0.0.1:9/x", JWT_SECRET: "s", ENVIRONMENT: "development", METERING: process.env.METER ?? "on" };
const ctx: any = { waitUntil: (p: Promise<unknown>) => { p.catch(() => {}); }, passThroughOnException() {} };
const KEY = "tk_BenchDecisionWorkerd11111111111111";
const tenant: any = { id: "ten_prof", name: "p", plan: "free", status: "active", isolation: "shared", region: null, limits: effectiveLimits("free", {}), features: planFeatures("free"), configVersion: 1 };
const hash = await hashApiKey(KEY);
keyRecordCache(env).set(hash, { keyId: "key_x", tenantId: tenant.id, scopes: ["read", "write"], expiresAt: null, revoked: false }, Date.now() + 1e9);
tenantContextCache(env).set(tenant.id, tenant, Date.now() + 1e9);
async function run(n: number, make: () => Request) {
  let status = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { const r = await app.fetch(make(), env, ctx); status = r.status; await r.arrayBuffer(); }
  return [(performance.now() - t0) / n, status];
}
const refused = () => new Request("http://127.0.0.1/v1/me", { headers: { Authorization: `Bearer ${KEY}` } });
const unauth = () => new Request("http://127.0.0.1/v1/me");
for (let round = 0; round < 2; round++)
for (const [name, make] of [["refused", refused], ["401", unauth]] as const) {
  await run(3000, make);
  const [ms, status] = await run(10000, make);
  console.log(name, status, (ms as number).toFixed(4), "ms");
}
