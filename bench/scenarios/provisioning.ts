// Provisioning latency as a customer sees it: POST /v1/tenants → the first GET that says "active",
// polling every 25 ms, for shared (pro) and dedicated (enterprise) tenants.
import { mapLimit, sleep } from "../lib/admin.ts";
import { figure, type Figure, type Scenario } from "../lib/scenario.ts";
import { round, summarize } from "../lib/stats.ts";

const POLL_MS = 25;
const TIMEOUT_MS = 60_000;

interface Sample {
  totalMs: number;
  postMs: number;
  /** Server side: created → workflow started (queue delivery, batching). */
  queueMs: number | null;
  /** Server side: workflow started → finished (the steps). */
  workflowMs: number | null;
}

const PLANS = [
  { plan: "pro", isolation: "shared", targetMs: 2000 },
  { plan: "enterprise", isolation: "dedicated", targetMs: 10_000 },
] as const;

export const provisioningScenario: Scenario = {
  id: "provisioning",
  title: "provisioning: POST → active, shared and dedicated",
  async run(ctx) {
    const { provisioning: count, provisioningConcurrency: concurrency } = ctx.profile;
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { tenantsPerPlan: count, concurrency, pollMs: POLL_MS };
    for (const { plan, isolation, targetMs } of PLANS) {
      const failures: string[] = [];
      const samples = await mapLimit(Array.from({ length: count }, (_, i) => i), concurrency, async (): Promise<Sample | undefined> => {
        const started = performance.now();
        const created = await ctx.api.createTenant(plan);
        const postMs = performance.now() - started;
        const deadline = started + TIMEOUT_MS;
        while (performance.now() < deadline) {
          const tenant = await ctx.api.tenant(created.id);
          if (tenant.status === "active") {
            const totalMs = performance.now() - started;
            const at = (text: string | null | undefined) => (text ? Date.parse(text) : Number.NaN);
            const createdAt = at(tenant.createdAt);
            const startedAt = at(tenant.provisioning?.startedAt);
            const finishedAt = at(tenant.provisioning?.finishedAt);
            return {
              totalMs,
              postMs,
              queueMs: Number.isFinite(startedAt - createdAt) ? startedAt - createdAt : null,
              workflowMs: Number.isFinite(finishedAt - startedAt) ? finishedAt - startedAt : null,
            };
          }
          if (tenant.status === "failed") {
            failures.push(`${created.id}: ${JSON.stringify(tenant.provisioning?.error)}`);
            return undefined;
          }
          await sleep(POLL_MS);
        }
        failures.push(`${created.id}: not active within ${TIMEOUT_MS} ms`);
        return undefined;
      });
      const ok = samples.filter((sample): sample is Sample => sample !== undefined);
      const total = summarize(ok.map((s) => s.totalMs));
      const pick = (values: Array<number | null>) => summarize(values.filter((v): v is number => v !== null));
      const queue = pick(ok.map((s) => s.queueMs));
      const workflow = pick(ok.map((s) => s.workflowMs));
      const post = summarize(ok.map((s) => s.postMs));
      ctx.log(`  ${plan} (${isolation}): p50 ${total.p50.toFixed(0)} ms, p95 ${total.p95.toFixed(0)} ms; queue p50 ${queue.p50.toFixed(0)} ms, steps p50 ${workflow.p50.toFixed(0)} ms; ${failures.length} failed`);
      figures.push(figure(`provision_${isolation}_p95_ms`, `provisioning POST→active p95, ${isolation} (${plan})`, total.p95, "ms", { op: "<=", value: targetMs }));
      figures.push(figure(`provision_${isolation}_p50_ms`, `provisioning POST→active p50, ${isolation} (${plan})`, total.p50, "ms"));
      if (failures.length > 0) figures.push(figure(`provision_${isolation}_failed`, `provisioning failures, ${isolation}`, failures.length, "tenants", { op: "<=", value: 0 }));
      const ms = (s: ReturnType<typeof summarize>) => ({ count: s.count, p50: round(s.p50), p95: round(s.p95), max: round(s.max), mean: round(s.mean) });
      details[isolation] = { plan, totalMs: ms(total), postMs: ms(post), queueMs: ms(queue), workflowMs: ms(workflow), failures };
    }
    return { status: "ok", loads: [], figures, details };
  },
};
