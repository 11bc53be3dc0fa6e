import { and, eq, isNotNull, ne, or } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { withTimeout } from "../lib/with-timeout.ts";
import type { AdmissionWaits, RuntimeSnapshot } from "../../durable-objects/tenant-runtime/admission.ts";
import { runtimeByName, runtimeFor, runtimeObjectName, shardObjectNames, type RuntimePlacement } from "../../durable-objects/tenant-runtime/stub.ts";
import { tenants } from "../core/tenant-table.ts";

const SNAPSHOT_TIMEOUT_MS = 2000;
const CONCURRENCY = 32;

export interface RuntimeFigures {
  connections: number;
  /** How long the oldest usage not yet in Postgres has waited (0 when everything is flushed). */
  flushLagSeconds: number;
  /** How long admissions waited for a seat in a busy shard, by plan, summed over the objects. */
  admissionWaits: Map<string, AdmissionWaits>;
}

function figures(snapshots: RuntimeSnapshot[], now: number): RuntimeFigures {
  let connections = 0;
  let oldest: number | null = null;
  const admissionWaits = new Map<string, AdmissionWaits>();
  for (const snapshot of snapshots) {
    connections += snapshot.connections;
    if (snapshot.unflushedSince !== null) oldest = Math.min(oldest ?? snapshot.unflushedSince, snapshot.unflushedSince);
    for (const [plan, waits] of Object.entries(snapshot.admissionWaits ?? {})) admissionWaits.set(plan, addWaits(admissionWaits.get(plan), waits));
  }
  return { connections, flushLagSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000), admissionWaits };
}

/** Two objects' histograms of one plan (same buckets) as one. */
function addWaits(into: AdmissionWaits | undefined, waits: AdmissionWaits): AdmissionWaits {
  if (!into) return { buckets: waits.buckets.map((bucket) => ({ ...bucket })), sum: waits.sum, count: waits.count };
  return {
    buckets: into.buckets.map((bucket, index) => ({ le: bucket.le, count: bucket.count + (waits.buckets[index]?.count ?? 0) })),
    sum: into.sum + waits.sum,
    count: into.count + waits.count,
  };
}

/** One object that does not answer in time is left out rather than holding up the scrape. */
async function snapshotsOf(stubs: Array<() => Promise<RuntimeSnapshot>>): Promise<RuntimeSnapshot[]> {
  const snapshots: RuntimeSnapshot[] = [];
  for (let i = 0; i < stubs.length; i += CONCURRENCY) {
    const settled = await Promise.allSettled(stubs.slice(i, i + CONCURRENCY).map((take) => withTimeout(take(), SNAPSHOT_TIMEOUT_MS, "runtime snapshot")));
    for (const result of settled) if (result.status === "fulfilled") snapshots.push(result.value);
  }
  return snapshots;
}

/** Every runtime object: the shard objects and each dedicated tenant's own (and any a migration still uses). */
export async function platformRuntimeFigures(env: Env, db: Database): Promise<RuntimeFigures> {
  const dedicated = await db
    .select({ id: tenants.id })
    .from(tenants)
    .where(and(ne(tenants.status, "deleted"), or(eq(tenants.isolation, "dedicated"), isNotNull(tenants.migration))));
  const names = [...shardObjectNames(env), ...dedicated.map(({ id }) => runtimeObjectName(env, { id, isolation: "dedicated", region: null }))];
  const snapshots = await snapshotsOf(names.map((name) => () => runtimeByName(env, name).metricsSnapshot() as Promise<RuntimeSnapshot>));
  return figures(snapshots, Date.now());
}

/** The tenant's runtime object (both while a migration between tiers runs). */
export async function tenantRuntimeFigures(env: Env, tenant: RuntimePlacement, migrating: boolean): Promise<RuntimeFigures> {
  const placements: RuntimePlacement[] = migrating
    ? [{ ...tenant, isolation: "shared" }, { ...tenant, isolation: "dedicated" }]
    : [tenant];
  const snapshots = await snapshotsOf(placements.map((placement) => () => runtimeFor(env, placement).metricsSnapshot(tenant.id) as Promise<RuntimeSnapshot>));
  return figures(snapshots, Date.now());
}
