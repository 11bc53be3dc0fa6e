// After the load: settle, flush, and check every promise against the ledger.
import type { AllocatorStats } from "./workerd-malloc.ts";
import type { WorkerdNative } from "./workerd-native.ts";
import { mapLimit, request } from "./client.ts";
import { checkKey, compareUsage, quantile, type KeyLedger, type UsageMismatch } from "./ledger.ts";
import { MAP } from "./load.ts";
import type { Observer } from "./observer.ts";
import type { SoakTenant } from "./tenants.ts";
import { waitAllActive } from "./tenants.ts";

export interface PromiseResult {
  promise: string;
  ok: boolean;
  figure: string;
  examples: string[];
}

/** Bytes, sampled every few seconds (scripts/soak/stack-host.ts). */
export interface MemorySample {
  at: number;
  /** RSS of the Worker's host (Node, Miniflare) and its workerd. */
  treeRss: number;
  /** RSS of workerd alone, as V8 left it (garbage not collected yet included). */
  workerdRss: number;
  /** RSS of workerd right after a full GC of each of its isolates: what it retains. */
  workerdRssAfterGc: number;
  /** JS heap the isolates still use after that GC. */
  liveHeap: number;
  /** The isolates' JS heaps as V8 holds them after that GC (live and free pages). */
  heapTotal?: number;
  /** workerd's anonymous vs file-backed memory and open SQLite files and sockets, after that GC. */
  native?: WorkerdNative;
  /** workerd's allocator after that GC (SOAK_MALLOC_STATS=1 only). */
  allocator?: AllocatorStats;
  /** Distinct tenants called since the last Worker restart, when the sample was taken. */
  tenantsTouched?: number;
}

const CONCURRENCY = 16;

async function retrying<T>(attempt: () => Promise<T | undefined>, tries = 10): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const value = await attempt();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

/** Tenants whose runtime object still holds a lease (or realtime write) once the load is over. */
export async function leasesHeld(baseUrl: string, adminToken: string, tenants: SoakTenant[]): Promise<string[]> {
  const held: string[] = [];
  await mapLimit(tenants, CONCURRENCY, async (tenant) => {
    const inFlight = await retrying(async () => {
      const reply = await request(baseUrl, "GET", `/v1/_test/runtime/${tenant.id}/in-flight`, { token: adminToken });
      return reply.status === 200 ? Number(reply.body.inFlight) : undefined;
    });
    if (inFlight === undefined) held.push(`${tenant.id}: in-flight probe never answered`);
    else if (inFlight > 0) held.push(`${tenant.id}: ${inFlight} held`);
  });
  return held;
}

export async function usageMismatches(baseUrl: string, adminToken: string, tenants: SoakTenant[], observer: Observer): Promise<{ mismatches: UsageMismatch[]; unreadable: string[]; exactTenants: number }> {
  const mismatches: UsageMismatch[] = [];
  const unreadable: string[] = [];
  let exactTenants = 0;
  const readTotals = (tenant: SoakTenant, flush: boolean) =>
    retrying(async () => {
      if (flush) {
        const flushed = await request(baseUrl, "POST", `/v1/tenants/${tenant.id}/usage/flush`, { token: adminToken });
        if (flushed.status !== 200) return undefined;
      }
      const usage = await request(baseUrl, "GET", `/v1/tenants/${tenant.id}/usage?granularity=day`, { token: adminToken });
      return usage.status === 200 ? usage.body.totals : undefined;
    });
  await mapLimit(tenants, CONCURRENCY, async (tenant) => {
    const ledger = observer.usage.tenants.get(tenant.id) ?? { sure: { requests: 0, readOps: 0, writeOps: 0 }, maybe: { requests: 0, readOps: 0, writeOps: 0 } };
    // The runtime objects' alarms flush on their own; usage/flush (which waits on Postgres per
    // tenant) only where the totals read so far disagree. The verdict always stands on flushed totals.
    let totals = await readTotals(tenant, false);
    if (!totals || compareUsage(tenant.id, ledger, totals).length > 0) totals = await readTotals(tenant, true);
    if (!totals) return void unreadable.push(tenant.id);
    if (ledger.maybe.requests === 0 && ledger.maybe.readOps === 0 && ledger.maybe.writeOps === 0) exactTenants++;
    mismatches.push(...compareUsage(tenant.id, ledger, totals));
  });
  return { mismatches, unreadable, exactTenants };
}

/** Reads back every key the soak wrote (one list per tenant) and checks each against its history. */
export async function writeProblems(baseUrl: string, tenants: SoakTenant[], observer: Observer): Promise<{ problems: string[]; checked: number; acked: number }> {
  const problems: string[] = [];
  const byTenant = new Map<string, Array<[string, KeyLedger]>>();
  for (const [id, ledger] of observer.keys) {
    const [tenantId, key] = id.split("/") as [string, string];
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), [key, ledger]]);
  }
  const acked = [...observer.keys.values()].filter((ledger) => ledger.acked).length;
  await mapLimit(tenants.filter((tenant) => byTenant.has(tenant.id)), CONCURRENCY, async (tenant) => {
    const records = await retrying(async () => {
      const reply = await request(baseUrl, "GET", `/v1/maps/${MAP}?limit=100`, { token: tenant.key });
      return reply.status === 200 ? (reply.body.data as Array<{ key: string; value: unknown; version: number }>) : undefined;
    });
    if (records === undefined) return void problems.push(`${tenant.id}: its map could not be read back`);
    for (const [key, ledger] of byTenant.get(tenant.id)!) {
      const record = records.find((candidate) => candidate.key === key);
      const problem = checkKey(ledger, record ? { version: Number(record.version), value: JSON.stringify(record.value) } : null);
      if (problem) problems.push(`${tenant.id}/${key}: ${problem}`);
    }
  });
  return { problems, checked: observer.keys.size, acked };
}

export async function provisioningProblems(baseUrl: string, adminToken: string, provisioned: SoakTenant[], loadStarted: number): Promise<string[]> {
  const { notActive } = await waitAllActive(baseUrl, adminToken, provisioned.map((tenant) => tenant.id), 60_000);
  const problems: string[] = [];
  for (const id of notActive.slice(0, 10)) {
    const reply = await request(baseUrl, "GET", `/v1/tenants/${id}`, { token: adminToken });
    const createdAt = provisioned.find((tenant) => tenant.id === id)?.createdAt ?? loadStarted;
    const steps = (reply.body?.provisioning?.steps ?? []).map((step: any) => `${step.name}:${step.status}`).join(" ");
    problems.push(`${id} (created at t=${((createdAt - loadStarted) / 1000).toFixed(0)} s): ${reply.body?.status}, run ${reply.body?.provisioning?.state}, steps ${steps}, error ${JSON.stringify(reply.body?.provisioning?.error ?? null)}`);
  }
  if (notActive.length > 10) problems.push(`… and ${notActive.length - 10} more`);
  return problems;
}

/**
 * Memory growth, first vs last slice of the samples taken from `since` until before `until`: median
 * of `pick` in each slice. A slice is a minute when that time is at least 2.5 minutes, else a third of it.
 */
export function memoryGrowth(
  samples: MemorySample[],
  since: number,
  pick: (sample: MemorySample) => number,
  until = Number.POSITIVE_INFINITY,
): { growth: number; sliceS: number; first: number; last: number } {
  const kept = samples.filter((sample) => sample.at >= since && sample.at < until && pick(sample) > 0);
  if (kept.length < 2) return { growth: Number.NaN, sliceS: 0, first: 0, last: 0 };
  const spanMs = kept.at(-1)!.at - kept[0]!.at;
  const sliceMs = spanMs >= 150_000 ? 60_000 : spanMs / 3;
  const first = quantile(kept.filter((s) => s.at <= kept[0]!.at + sliceMs).map(pick), 0.5);
  const last = quantile(kept.filter((s) => s.at >= kept.at(-1)!.at - sliceMs).map(pick), 0.5);
  return { growth: last / first - 1, sliceS: Math.round(sliceMs / 1000), first, last };
}
