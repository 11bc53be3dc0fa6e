// `npm run soak -- [--minutes N] [--quick] [--tenants N] [--no-record]`: load and faults together
// against the local stack, then every promise of issue 21 checked against a client-side ledger.
// Exits 1 when a promise is broken, 2 when the soak itself could not run. See docs/RELIABILITY.md.
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../stack/local-stack.ts";
import { DEFAULT_LEASE_TTL_MS } from "../../durable-objects/tenant-runtime/admission.ts";
import { leasesHeld, memoryGrowth, provisioningProblems, usageMismatches, writeProblems, type MemorySample, type PromiseResult } from "./checks.ts";
import { faultSchedule, runFault, type FaultRun } from "./faults.ts";
import { quantile } from "./ledger.ts";
import { runAdminLane, runLanes, runSubscribers, type LoadContext } from "./load.ts";
import { Observer, RECOVERY_LIMIT_MS, SLOW_RECOVERY_MS } from "./observer.ts";
import { startSoakOrigin } from "./origin.ts";
import { recordRun, summaryTable } from "./report.ts";
import { sleep, startSoakStack } from "./stack.ts";
import type { WorkerMemory } from "./stack-host.ts";
import { createTenants } from "./tenants.ts";
import { seededRandom } from "../../bench/lib/seeded-random.ts";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string" },
    quick: { type: "boolean", default: false },
    tenants: { type: "string" },
    "no-record": { type: "boolean", default: false },
  },
});

/** --quick: the whole run (stack, 1000 tenants, load, checks) within 3 minutes. */
const loadS = args.quick ? 84 : Math.max(2, Number(args.minutes ?? 10)) * 60;
const tenantCount = Math.max(1, Number(args.tenants ?? 1000));
const LANES = 12;
const SUBSCRIBERS = 20;
const ADMIN_EVERY_MS = 1500;
/** Each sample collects garbage in workerd first; a slice of a --quick run holds 6–7. */
const MEMORY_EVERY_MS = 2500;
/** The last seconds of load run without faults, so the run ends in a steady state. */
const QUIET_S = args.quick ? 15 : 60;
const RECOVERY_P99_LIMIT_MS = 5000;
/** A fault starts at least this long after the previous one ended (more than BLAME_AFTER_BACK_MS). */
const FAULT_GAP_MS = 6000;
const MEMORY_GROWTH_LIMIT = 0.1;

const log = (line: string) => console.log(line);
/** The code under test: the commit when the run started (a later commit must not take its figures). */
const commitAtStart = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_ROOT }).toString().trim();
const startedAt = Date.now();
const seconds = (since: number, until = Date.now()) => ((until - since) / 1000).toFixed(0);

async function main(): Promise<number> {
  log(`soak: ${args.quick ? "--quick" : `--minutes ${loadS / 60}`}, ${tenantCount} tenants, ${LANES} lanes, ${SUBSCRIBERS} realtime subscribers`);
  // Test hooks for the probes, but queue retries back off as in production (a fault lasts seconds).
  const stack = await startSoakStack((line) => log(`  ${line}`), { TEST_HOOKS: "1", TEST_RETRY_BACKOFF: "real" });
  const origin = await startSoakOrigin();
  try {
    log(`stack up in ${seconds(startedAt)} s at ${stack.baseUrl}; creating ${tenantCount} tenants`);
    const tenants = await createTenants(stack.baseUrl, stack.adminToken, tenantCount, origin.url, log);
    const observer = new Observer();
    const loadStarted = Date.now();
    const ctx: LoadContext = {
      baseUrl: stack.baseUrl,
      adminToken: stack.adminToken,
      originUrl: origin.url,
      tenants,
      provisioned: [],
      enqueued: new Set(),
      observer,
      until: loadStarted + loadS * 1000,
      random: seededRandom(21),
    };

    const memory: MemorySample[] = [];
    let workerStartedAt = loadStarted;
    const sampleMemory = async () => {
      while (Date.now() < ctx.until) {
        const sample = await stack.control<WorkerMemory | 0>("worker/memory").catch(() => 0 as const);
        if (sample !== 0) memory.push({ at: Date.now(), ...sample, tenantsTouched: observer.tenantsCalledSince(workerStartedAt) });
        await sleep(Math.min(MEMORY_EVERY_MS, ctx.until - Date.now()));
      }
    };

    const faults: FaultRun[] = [];
    const schedule = faultSchedule(loadS, QUIET_S);
    const injectFaults = async () => {
      let previousEnded = 0;
      for (const { atS, name } of schedule) {
        // Never on the heels of the previous fault: a Worker restart that took 14 s on a loaded
        // machine ended 1 s before the PostgreSQL kill, whose outage then counted as the restart's
        // recovery (10 s). A fault's window stays blamed BLAME_AFTER_BACK_MS after its return.
        const wait = Math.max(loadStarted + atS * 1000, previousEnded + FAULT_GAP_MS) - Date.now();
        if (wait > 0) await sleep(wait);
        // Delayed faults do not spill into the quiet end.
        if (Date.now() >= ctx.until - QUIET_S * 1000) break;
        log(`  t=${seconds(loadStarted)} s  fault: ${name}`);
        try {
          const downMs = await runFault(name, { stack, origin, ctx });
          if (name === "worker-restart") {
            workerStartedAt = Date.now();
            ctx.sweep = { next: 0, end: ctx.tenants.length };
          }
          faults.push({ name, atS, downMs });
        } catch (error) {
          faults.push({ name, atS, downMs: 0, error: String(error).slice(0, 300) });
          log(`  fault ${name} failed: ${String(error).slice(0, 300)}`);
        }
        previousEnded = Date.now();
      }
    };
    const progress = async () => {
      while (Date.now() < ctx.until) {
        await sleep(Math.min(15_000, ctx.until - Date.now()));
        if (Date.now() >= ctx.until) break;
        const m = memory.at(-1);
        const native = m?.native ? ` (anon ${(m.native.anon / 2 ** 20).toFixed(0)} of which huge pages ${(m.native.hugePages / 2 ** 20).toFixed(0)}, files ${(m.native.file / 2 ** 20).toFixed(0)}; ${m.native.sqliteFiles} SQLite files, ${m.native.sockets} sockets, ${m.native.threads} threads open)` : "";
        const allocator = m?.allocator ? `; tcmalloc: in use ${(m.allocator.inUse / 2 ** 20).toFixed(0)}, held ${(m.allocator.footprint / 2 ** 20).toFixed(0)}, released ${(m.allocator.released / 2 ** 20).toFixed(0)} MiB` : "";
        const mem = m ? `; workerd ${(m.workerdRss / 2 ** 20).toFixed(0)} MiB, after GC ${(m.workerdRssAfterGc / 2 ** 20).toFixed(0)}${native}, live heap ${(m.liveHeap / 2 ** 20).toFixed(1)} of ${((m.heapTotal ?? 0) / 2 ** 20).toFixed(0)}, with host ${(m.treeRss / 2 ** 20).toFixed(0)}; ${m.tenantsTouched} tenants called since the restart${allocator}` : "";
        log(`  t=${seconds(loadStarted)} s  ${observer.requests} requests; ${[...observer.statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}${mem}`);
      }
    };
    const subscriberStats = { events: 0, connects: 0 };
    log(`load for ${loadS} s; ${schedule.length} faults scheduled`);
    await Promise.all([
      runLanes(ctx, LANES),
      runSubscribers(ctx, SUBSCRIBERS, subscriberStats),
      runAdminLane(ctx, ADMIN_EVERY_MS),
      injectFaults(),
      sampleMemory(),
      progress(),
    ]);
    const loadEnded = Date.now();
    observer.closeWindows();
    log(`load done: ${observer.requests} requests in ${seconds(loadStarted)} s; realtime: ${subscriberStats.connects} connects, ${subscriberStats.events} change events`);
    // SOAK_MEMORY_TRACE=<file>: every memory sample as JSON, for investigating what grows.
    if (process.env.SOAK_MEMORY_TRACE) await writeFile(process.env.SOAK_MEMORY_TRACE, JSON.stringify({ workerStartedAt, loadStarted, memory }, null, 1));

    // Promises, in the order the issue lists them. Leases first: nothing may still hold one. A
    // request the Worker restart cut off leaves its lease (or its isolate's block) until the lease
    // expires, as a crashed isolate's would: the check waits for that.
    const leasesExpire = (ctx.workerRestartAt ?? 0) + DEFAULT_LEASE_TTL_MS + 1000;
    await sleep(Math.max(2000, leasesExpire - Date.now()));
    const held = await leasesHeld(stack.baseUrl, stack.adminToken, ctx.tenants);
    log(`leases checked (${seconds(loadEnded)} s after the load)`);
    const provisioning = await provisioningProblems(stack.baseUrl, stack.adminToken, ctx.provisioned, loadStarted);
    const usage = await usageMismatches(stack.baseUrl, stack.adminToken, ctx.tenants, observer);
    log(`usage flushed and compared (${seconds(loadEnded)} s after the load)`);
    const writes = await writeProblems(stack.baseUrl, ctx.tenants, observer);
    log(`keys read back (${seconds(loadEnded)} s after the load)`);

    const recoveries = observer.windows.flatMap((window) => window.recoveries);
    const p99 = quantile(recoveries, 0.99);
    const served = observer.windows.flatMap((window) => window.served);
    const perFault = observer.windows.map((w) => `${w.name} ${w.recoveries.length ? `${(Math.max(...w.recoveries) / 1000).toFixed(1)}` : "-"}`).join(", ");
    // The promise is judged on what workerd retains (RSS after a full GC of its isolates): V8 lets
    // a busy isolate's heap fill with garbage before collecting it, and that is not growth. And over
    // the Worker's longest life under load: before its restart (it has run since the stack started,
    // through the provisioning of every tenant, so the load meets its working set), or after it, from
    // the moment every tenant has been called again (until then memory grows with the working set
    // refilling, bounded by the tenant count: docs/RELIABILITY.md, "Session 10" and "Session 12").
    const sweptAt = ctx.sweep?.sweptAt;
    const beforeRestart = {
      since: loadStarted + MEMORY_EVERY_MS,
      until: ctx.workerRestartAt ?? loadEnded,
      what: `from the load's start to ${ctx.workerRestartAt === undefined ? "its end (no Worker restart)" : "the Worker restart"} (the Worker up since the stack started)`,
    };
    const afterRestart = {
      since: (sweptAt ?? workerStartedAt) + MEMORY_EVERY_MS,
      until: loadEnded,
      what: sweptAt ? `from ${seconds(workerStartedAt, sweptAt)} s after the Worker restart, when every tenant had been called since` : "from the Worker restart (the sweep of every tenant did not end)",
    };
    const segment = ctx.workerRestartAt !== undefined && afterRestart.until - afterRestart.since > beforeRestart.until - beforeRestart.since ? afterRestart : beforeRestart;
    const since = segment.since;
    const mem = memoryGrowth(memory, since, (s) => s.workerdRssAfterGc, segment.until);
    const live = memoryGrowth(memory, since, (s) => s.liveHeap, segment.until);
    const raw = memoryGrowth(memory, since, (s) => s.workerdRss, segment.until);
    const tree = memoryGrowth(memory, since, (s) => s.treeRss, segment.until);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    const pct = (growth: number) => `${(growth * 100).toFixed(1)} %`;
    const violations = (promise: string) => observer.violations.get(promise) ?? [];
    const results: PromiseResult[] = [
      {
        promise: "no acknowledged write lost or reverted",
        ok: writes.problems.length === 0 && violations("no acknowledged write lost or reverted").length === 0,
        figure: `${writes.checked} keys read back (${writes.acked} with an acknowledged write), ${writes.problems.length} wrong`,
        examples: [...writes.problems, ...violations("no acknowledged write lost or reverted")],
      },
      {
        promise: "usage equals the ledger (requests, readOps, writeOps)",
        ok: usage.mismatches.length === 0 && usage.unreadable.length === 0,
        figure: `${ctx.tenants.length} tenants, ${usage.exactTenants} exact to the unit, the rest within their unconfirmed requests; ${usage.mismatches.length} off, ${usage.unreadable.length} unreadable`,
        examples: [...usage.mismatches.map((m) => `${m.tenantId} ${m.field}: usage ${m.reported}, ledger ${m.expectedMin}${m.expectedMax > m.expectedMin ? `…${m.expectedMax}` : ""}`), ...usage.unreadable.map((id) => `${id}: usage unreadable`)],
      },
      { promise: "no lease held", ok: held.length === 0, figure: `${ctx.tenants.length} tenants probed, ${held.length} holding`, examples: held },
      {
        promise: "no 5xx other than 503 (502/504 only from /gw/ in an origin fault)",
        ok: violations("no 5xx other than 503").length === 0,
        figure: `${violations("no 5xx other than 503").length} seen`,
        examples: violations("no 5xx other than 503"),
      },
      {
        promise: "every 503 (and 429) has Retry-After",
        ok: violations("every 503 has Retry-After").length === 0,
        figure: `${observer.statuses.get("503") ?? 0} × 503, ${violations("every 503 has Retry-After").length} without`,
        examples: violations("every 503 has Retry-After"),
      },
      {
        promise: "every tenant provisioned under load ends active",
        ok: provisioning.length === 0,
        figure: `${ctx.provisioned.length} provisioned, ${provisioning.length ? provisioning.length : 0} not active`,
        examples: provisioning,
      },
      {
        promise: "a revoked key is refused within 1 s",
        ok: violations("a revoked key is refused within 1 s").length === 0,
        figure: `${ctx.tenants.filter((t) => t.extraKey?.revokedAt).length} keys revoked under load, ${violations("a revoked key is refused within 1 s").length} answers after 2 s`,
        examples: violations("a revoked key is refused within 1 s"),
      },
      {
        promise: "p99 dependency back → first 2xx ≤ 5 s",
        ok: recoveries.length > 0 && p99 <= RECOVERY_P99_LIMIT_MS,
        figure: `p99 ${(p99 / 1000).toFixed(2)} s over ${recoveries.length} lane recoveries (max per fault, s: ${perFault}); cap ${RECOVERY_LIMIT_MS / 1000} s; to the first answer that was not a failure (a 404 of an absent key counts): p99 ${(quantile(served, 0.99) / 1000).toFixed(2)} s`,
        examples: observer.windows.flatMap((w) => w.slow),
      },
      {
        promise: "workerd memory growth ≤ 10 % (first vs last slice)",
        ok: Number.isFinite(mem.growth) && mem.growth <= MEMORY_GROWTH_LIMIT,
        figure:
          `${pct(mem.growth)} (workerd RSS after a full GC, ${mib(mem.first)} → ${mib(mem.last)} MiB, medians of ${mem.sliceS} s slices ${segment.what}; ` +
          `live JS heap ${mib(live.first)} → ${mib(live.last)} MiB; before GC: workerd ${pct(raw.growth)}, ${mib(raw.first)} → ${mib(raw.last)} MiB, with its Node host ${pct(tree.growth)}, ${mib(tree.first)} → ${mib(tree.last)} MiB)`,
        examples: [],
      },
    ];
    const faultErrors = faults.filter((fault) => fault.error);
    const skipped = schedule.filter((planned) => !faults.some((fault) => fault.name === planned.name && fault.atS === planned.atS));
    if (faultErrors.length > 0 || skipped.length > 0) {
      results.push({
        promise: "every fault injected",
        ok: false,
        figure: `${faultErrors.length} failed, ${skipped.length} not reached before the quiet end`,
        examples: [...faultErrors.map((f) => `${f.name}: ${f.error}`), ...skipped.map((f) => `${f.name} planned at t=${f.atS} s`)],
      });
    }

    const slow = observer.windows.flatMap((w) => w.slow);
    if (slow.length > 0) log(`recoveries slower than ${SLOW_RECOVERY_MS / 1000} s (times from the dependency's return):\n${slow.map((line) => `  ${line}`).join("\n")}`);
    const statuses = [...observer.statuses].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} × ${n}`).join(", ");
    log("");
    log(summaryTable(results));
    log("");
    log(`answers: ${statuses}`);
    // What the Worker logged as errors (faults cause many on purpose), grouped by message.
    const byMessage = new Map<string, number>();
    for (const line of stack.workerErrors) {
      let message = line;
      try {
        message = String(JSON.parse(line).message);
      } catch {}
      message = message.split("\n")[0]!.slice(0, 100);
      byMessage.set(message, (byMessage.get(message) ?? 0) + 1);
    }
    log(`Worker error lines: ${stack.workerErrors.length}`);
    for (const [message, n] of [...byMessage].sort((a, b) => b[1] - a[1]).slice(0, 12)) log(`  ${n} × ${message}`);
    log(`total ${seconds(startedAt)} s`);

    if (!args["no-record"]) {
      const faultCounts = new Map<string, number>();
      for (const fault of faults) faultCounts.set(fault.name, (faultCounts.get(fault.name) ?? 0) + 1);
      await recordRun(
        {
          date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          commit: commitAtStart,
          mode: args.quick ? "--quick" : `--minutes ${loadS / 60}`,
          loadAverage: os.loadavg().map((n) => n.toFixed(2)).join(" "),
          tenants: ctx.tenants.length,
          requests: observer.requests,
          durationS: Math.round((loadEnded - loadStarted) / 1000),
          faults: [...faultCounts].map(([name, n]) => `${name} ×${n}`).join(", "),
          statuses,
        },
        results,
      );
      log("recorded in docs/RELIABILITY.md");
    }
    return results.every((result) => result.ok) ? 0 : 1;
  } finally {
    await origin.close();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
