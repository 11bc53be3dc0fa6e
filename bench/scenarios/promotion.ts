// Online isolation migration of a tenant with 10 000 and with 100 000 records while writers keep
// writing: POST …/isolation → migration succeeded, and the write pause as the writers saw it. Each
// writer keeps one write in flight; a refused write (503 during the switch) is retried every few ms
// (a prober, not a polite client, so the pause is measured rather than the retry hint), and the
// time from its first refusal to its acknowledgment is one pause sample. Demotion (dedicated →
// shared) first, because enterprise tenants start dedicated; then the promotion back. Records are
// created by one NDJSON import (the bulk path), not one PUT each.
import { UNLIMITED, sleep } from "../lib/admin.ts";
import { figure, type Figure, type Scenario } from "../lib/scenario.ts";
import { percentile, round, sortedCopy } from "../lib/stats.ts";

const TIMEOUT_MS = 600_000;
const WRITERS = 4;
const PROBE_RETRY_MS = 5;
const PAUSE_TARGET_MS = 100;
const RETRY_HINT_LIMIT_MS = 250;

type Ctx = Parameters<Scenario["run"]>[0];

interface WriterResult {
  acknowledged: number;
  refused: number;
  /** First refusal → acknowledgment of the same write, per refused write (ms). */
  pauses: number[];
  /** Per pause: its refusals, the last refusal → acknowledgment (ms), and the acknowledgment's Server-Timing. */
  pauseDetails: Array<{ ms: number; refusals: number; afterLastRefusalMs: number; ackTiming?: string }>;
  /** Request → acknowledgment of the writes never refused (ms): what one write costs on this machine now. */
  writeMs: number[];
  longestGapMs: number;
  maxRetryHintMs: number;
  lost: number;
}

/** One write at a time to this writer's 25 keys; remembers the last acknowledged value of each. */
function startWriter(ctx: Ctx, key: string, id: number) {
  let running = true;
  const result: WriterResult = { acknowledged: 0, refused: 0, pauses: [], pauseDetails: [], writeMs: [], longestGapMs: 0, maxRetryHintMs: 0, lost: 0 };
  const latest = new Map<string, number>();
  const done = (async () => {
    let last = performance.now();
    for (let n = 0; running; n++) {
      const name = `w${id}-${n % 25}`;
      let refusedAt: number | undefined;
      let lastRefusalAt = 0;
      let refusals = 0;
      const sent = performance.now();
      for (;;) {
        const response = await ctx.api.request("PUT", `/v1/maps/live/${name}`, { token: key, body: n });
        const now = performance.now();
        if (response.status === 200) {
          if (refusedAt !== undefined) {
            result.pauses.push(now - refusedAt);
            result.pauseDetails.push({ ms: Math.round(now - refusedAt), refusals, afterLastRefusalMs: Math.round(now - lastRefusalAt), ...(response.serverTiming ? { ackTiming: response.serverTiming } : {}) });
          }
          else result.writeMs.push(now - sent);
          result.longestGapMs = Math.max(result.longestGapMs, now - last);
          last = now;
          result.acknowledged++;
          latest.set(name, n);
          break;
        }
        if (response.status !== 503) throw new Error(`writer: ${response.status} ${JSON.stringify(response.body)}`);
        result.refused++;
        result.maxRetryHintMs = Math.max(result.maxRetryHintMs, Number(response.body?.retryAfterMs ?? 0));
        refusedAt ??= now;
        lastRefusalAt = now;
        refusals++;
        await sleep(PROBE_RETRY_MS);
      }
    }
  })();
  return {
    async stop(): Promise<WriterResult> {
      running = false;
      await done;
      for (const [name, value] of latest) {
        const read = await ctx.api.request("GET", `/v1/maps/live/${name}`, { token: key });
        if (read.status !== 200 || read.body.value !== value) result.lost++;
      }
      return result;
    },
  };
}

async function migrate(ctx: Ctx, tenantId: string, key: string, level: "shared" | "dedicated") {
  const writers = Array.from({ length: WRITERS }, (_, id) => startWriter(ctx, key, id));
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
  const results = await Promise.all(writers.map((writer) => writer.stop()));
  const steps = Object.fromEntries(tenant.migration.steps.map((s: { name: string; durationMs: number }) => [s.name, s.durationMs]));
  return {
    totalMs,
    serverPauseMs: tenant.migration.writePauseMs as number,
    records: tenant.migration.verified?.records as number,
    steps,
    /** Where the server's pause went: ms from its start to the end of each phase. */
    pausePhasesMs: tenant.migration.pausePhasesMs as Record<string, number> | undefined,
    pauses: results.flatMap((r) => r.pauses),
    pauseDetails: results.flatMap((r) => r.pauseDetails),
    writeMs: results.flatMap((r) => r.writeMs),
    acknowledged: results.reduce((sum, r) => sum + r.acknowledged, 0),
    refused: results.reduce((sum, r) => sum + r.refused, 0),
    longestGapMs: Math.max(...results.map((r) => r.longestGapMs)),
    maxRetryHintMs: Math.max(...results.map((r) => r.maxRetryHintMs)),
    lost: results.reduce((sum, r) => sum + r.lost, 0),
  };
}

async function tenantWithRecords(ctx: Ctx, records: number) {
  const tenant = await ctx.api.createActiveTenant("enterprise", UNLIMITED);
  const lines = Array.from({ length: records }, (_, i) =>
    JSON.stringify({ type: "record", map: `m${i % 10}`, key: `k${String(i).padStart(6, "0")}`, value: { i, text: "lorem ipsum dolor sit amet" }, version: 1 }),
  );
  const started = performance.now();
  const imported = await ctx.api.request("POST", `/v1/tenants/${tenant.id}/import`, { rawBody: lines.join("\n"), headers: { "Content-Type": "application/x-ndjson" } });
  if (imported.status !== 200) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);
  return { tenant, importMs: performance.now() - started };
}

export const promotionScenario: Scenario = {
  id: "promotion",
  title: "isolation migration under writers: the write pause at 10 000 and 100 000 records",
  async run(ctx) {
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { writers: WRITERS, probeRetryMs: PROBE_RETRY_MS };
    for (const records of [10_000, 100_000]) {
      const size = records >= 100_000 ? "100k" : "10k";
      const { tenant, importMs } = await tenantWithRecords(ctx, records);
      const demotion = await migrate(ctx, tenant.id, tenant.key, "shared");
      const promotion = await migrate(ctx, tenant.id, tenant.key, "dedicated");
      const pauses = sortedCopy([...demotion.pauses, ...promotion.pauses]);
      const p50 = pauses.length ? percentile(pauses, 50) : 0;
      const p99 = pauses.length ? percentile(pauses, 99) : 0;
      const writeP50 = percentile(sortedCopy([...demotion.writeMs, ...promotion.writeMs]), 50);
      figures.push(
        figure(`pause-p99-${size}`, `${size} records: write pause p99 (writers, both directions; p50 ${Math.round(p50)} ms, ${pauses.length} samples)`, p99, "ms", {
          op: "<=",
          value: PAUSE_TARGET_MS,
        }),
        figure(`pause-p50-${size}`, `${size} records: write pause p50 (writers)`, p50, "ms"),
        figure(`write-p50-${size}`, `${size} records: one write, never refused, p50 (the machine's pace now)`, writeP50, "ms"),
        figure(`pause-per-write-${size}`, `${size} records: write pause p50 / one write p50`, p50 / writeP50, "×"),
        figure(`server-pause-${size}`, `${size} records: write pause recorded by the server, promotion / demotion max`, Math.max(promotion.serverPauseMs, demotion.serverPauseMs), "ms"),
        figure(`promotion-total-${size}`, `${size} records: promotion POST → succeeded (${promotion.records} rows)`, promotion.totalMs, "ms"),
        figure(`demotion-total-${size}`, `${size} records: demotion POST → succeeded`, demotion.totalMs, "ms"),
        figure(`retry-hint-${size}`, `${size} records: largest retryAfterMs seen during the pause`, Math.max(promotion.maxRetryHintMs, demotion.maxRetryHintMs), "ms", {
          op: "<=",
          value: RETRY_HINT_LIMIT_MS,
        }),
        figure(`lost-${size}`, `${size} records: acknowledged writes not read back`, promotion.lost + demotion.lost, "writes", { op: "<=", value: 0 }),
      );
      const rounded = (run: typeof promotion) => ({
        ...run,
        pauses: run.pauses.map((ms) => Math.round(ms)),
        writeMs: undefined,
        totalMs: round(run.totalMs),
        longestGapMs: round(run.longestGapMs),
      });
      details[size] = { records, importMs: round(importMs), p50, p99, writeP50, demotion: rounded(demotion), promotion: rounded(promotion) };
    }
    return { status: "ok", loads: [], figures, details };
  },
};
