// Online isolation migration of a tenant with many records (10 000; 1 000 with --quick) while a
// writer keeps writing: POST …/isolation → migration succeeded, the server's recorded write pause,
// and the longest gap the writer saw between two acknowledged writes. Demotion (dedicated →
// shared) first, because enterprise tenants start dedicated; then the promotion back.
import { UNLIMITED, sleep } from "../lib/admin.ts";
import { figure, type Figure, type Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";

const TIMEOUT_MS = 300_000;

interface Writer {
  stop(): Promise<{ acknowledged: number; paused: number; longestGapMs: number; lost: number }>;
}

/** One write at a time to rotating keys; 503 (the pause) is retried, like a well-behaved client. */
function startWriter(ctx: Parameters<Scenario["run"]>[0], key: string): Writer {
  let running = true;
  let acknowledged = 0;
  let paused = 0;
  let longestGapMs = 0;
  const latest = new Map<string, number>();
  const done = (async () => {
    let last = performance.now();
    for (let n = 0; running; n++) {
      const name = `w${n % 50}`;
      const response = await ctx.api.request("PUT", `/v1/maps/live/${name}`, { token: key, body: n });
      const now = performance.now();
      if (response.status === 200) {
        longestGapMs = Math.max(longestGapMs, now - last);
        last = now;
        acknowledged++;
        latest.set(name, n);
      } else if (response.status === 503) paused++;
      else throw new Error(`writer: ${response.status} ${JSON.stringify(response.body)}`);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      let lost = 0;
      for (const [name, value] of latest) {
        const read = await ctx.api.request("GET", `/v1/maps/live/${name}`, { token: key });
        if (read.status !== 200 || read.body.value !== value) lost++;
      }
      return { acknowledged, paused, longestGapMs, lost };
    },
  };
}

async function migrate(ctx: Parameters<Scenario["run"]>[0], tenantId: string, key: string, level: "shared" | "dedicated") {
  const writer = startWriter(ctx, key);
  await sleep(300);
  const started = performance.now();
  const response = await ctx.api.request("POST", `/v1/tenants/${tenantId}/isolation`, { body: { level } });
  if (response.status !== 202) throw new Error(`POST isolation: ${response.status} ${JSON.stringify(response.body)}`);
  let tenant: any;
  for (;;) {
    tenant = await ctx.api.tenant(tenantId);
    if (tenant.migration?.state === "succeeded") break;
    if (tenant.migration?.state === "failed") throw new Error(`migration failed: ${tenant.migration.error}`);
    if (performance.now() - started > TIMEOUT_MS) throw new Error("migration did not finish in time");
    await sleep(50);
  }
  const totalMs = performance.now() - started;
  await sleep(300);
  const written = await writer.stop();
  const steps = Object.fromEntries(tenant.migration.steps.map((s: { name: string; durationMs: number }) => [s.name, s.durationMs]));
  return { totalMs, writePauseMs: tenant.migration.writePauseMs as number, records: tenant.migration.verified?.records as number, steps, ...written };
}

export const promotionScenario: Scenario = {
  id: "promotion",
  title: "isolation migration under a writer (records per profile)",
  async run(ctx) {
    const records = ctx.profile.name === "quick" ? 1000 : 10_000;
    const tenant = await ctx.api.createActiveTenant("enterprise", UNLIMITED);
    const lines = Array.from({ length: records }, (_, i) =>
      JSON.stringify({ type: "record", map: `m${i % 10}`, key: `k${String(i).padStart(6, "0")}`, value: { i, text: "lorem ipsum dolor sit amet" }, version: 1 }),
    );
    const imported = await ctx.api.request("POST", `/v1/tenants/${tenant.id}/import`, { rawBody: lines.join("\n"), headers: { "Content-Type": "application/x-ndjson" } });
    if (imported.status !== 200) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);

    const demotion = await migrate(ctx, tenant.id, tenant.key, "shared");
    const promotion = await migrate(ctx, tenant.id, tenant.key, "dedicated");
    const figures: Figure[] = [];
    for (const [name, run] of [["promotion", promotion], ["demotion", demotion]] as const) {
      figures.push(figure(`${name}-total`, `${name}: POST → succeeded (${run.records} rows)`, run.totalMs, "ms"));
      figures.push(figure(`${name}-pause`, `${name}: write pause (server)`, run.writePauseMs, "ms"));
      figures.push(figure(`${name}-gap`, `${name}: longest gap between acknowledged writes (client)`, run.longestGapMs, "ms"));
      figures.push(figure(`${name}-lost`, `${name}: acknowledged writes not read back`, run.lost, "writes", { op: "<=", value: 0 }));
    }
    return {
      status: "ok",
      loads: [],
      figures,
      details: {
        records,
        demotion: { ...demotion, totalMs: round(demotion.totalMs), longestGapMs: round(demotion.longestGapMs) },
        promotion: { ...promotion, totalMs: round(promotion.totalMs), longestGapMs: round(promotion.longestGapMs) },
      },
    };
  },
};
