import { REQUEST_OUTCOMES } from "../core/outcomes.ts";
import { PLAN_IDS } from "../core/plans.ts";
import { TENANT_STATUSES } from "../core/tenant.ts";
import type { ProvisioningFigures, UsageFigures } from "./database-figures.ts";
import type { MetricFamily, Sample } from "./exposition.ts";
import type { RuntimeFigures } from "./runtime-snapshots.ts";
import { DELIVERY_RESULTS, type DeliveryResult } from "./webhook-deliveries.ts";
import { WAIT_BUCKETS_S } from "../../durable-objects/tenant-runtime/admission.ts";

/** Everything one view (the platform, or one tenant) is made of. */
export interface MetricsFigures {
  tenants: Array<{ status: string; plan: string; count: number }>;
  usageByPlan: Map<string, UsageFigures>;
  runtime: RuntimeFigures;
  provisioning: ProvisioningFigures;
  webhookDeliveries: Record<DeliveryResult, number>;
  billingExportLagSeconds: number | null;
  /** The label values a view shows: every plan for the platform, the tenant's own for one tenant. */
  plans: readonly string[];
  statuses: readonly string[];
}

/**
 * The contract's families. Labels come only from bounded sets (plans, statuses, outcomes, kinds,
 * directions, results), and every combination is always present, so the number of series never
 * depends on the number of tenants.
 */
export function metricFamilies(figures: MetricsFigures): MetricFamily[] {
  const counts = new Map(figures.tenants.map((row) => [`${row.status}/${row.plan}`, row.count]));
  const usage = (plan: string) => figures.usageByPlan.get(plan);
  const total = (pick: (usage: UsageFigures) => number) => figures.plans.reduce((sum, plan) => sum + (usage(plan) ? pick(usage(plan)!) : 0), 0);
  const families: MetricFamily[] = [
    {
      name: "tenantry_tenants",
      type: "gauge",
      help: "Tenants by lifecycle status and plan.",
      samples: figures.statuses.flatMap((status) => figures.plans.map((plan) => ({ labels: { status, plan }, value: counts.get(`${status}/${plan}`) ?? 0 }))),
    },
    {
      name: "tenantry_requests",
      type: "counter",
      help: "Data-plane requests made with a tenant credential, by the tenant's plan and how they ended.",
      samples: figures.plans.flatMap((plan) => REQUEST_OUTCOMES.map((outcome) => ({ labels: { plan, outcome }, value: usage(plan)?.outcomes[outcome] ?? 0 }))),
    },
    {
      name: "tenantry_ops",
      type: "counter",
      help: "Map operations: reads and lists (read), puts and deletes (write), over REST or realtime.",
      samples: [
        { labels: { kind: "read" }, value: total((u) => u.readOps) },
        { labels: { kind: "write" }, value: total((u) => u.writeOps) },
      ],
    },
    {
      name: "tenantry_bytes",
      type: "counter",
      help: "Data-plane request (in) and response (out) body bytes.",
      samples: [
        { labels: { direction: "in" }, value: total((u) => u.bytesIn) },
        { labels: { direction: "out" }, value: total((u) => u.bytesOut) },
      ],
    },
    {
      name: "tenantry_realtime_messages",
      type: "counter",
      help: "Realtime messages received from clients.",
      samples: [{ value: total((u) => u.messages) }],
    },
    {
      name: "tenantry_realtime_connections",
      type: "gauge",
      help: "Open realtime connections.",
      samples: [{ value: figures.runtime.connections }],
    },
    {
      name: "tenantry_provisioning_seconds",
      type: "histogram",
      help: "Time from the start to the success of a tenant's provisioning run.",
      samples: [{ buckets: figures.provisioning.buckets, sum: figures.provisioning.sum, count: figures.provisioning.count }],
    },
    {
      name: "tenantry_admission_wait_seconds",
      type: "histogram",
      help: "Time data-plane requests of shared-tier tenants waited for a seat in their busy runtime shard, by plan (0 when a seat was free); since each runtime object started.",
      samples: figures.plans.map((plan) => {
        const waits = figures.runtime.admissionWaits.get(plan);
        return { labels: { plan }, buckets: waits?.buckets ?? WAIT_BUCKETS_S.map((le) => ({ le, count: 0 })), sum: round(waits?.sum ?? 0, 6), count: waits?.count ?? 0 };
      }),
    },
    {
      name: "tenantry_usage_flush_lag_seconds",
      type: "gauge",
      help: "How long the oldest usage not yet in Postgres has waited in a runtime object (from the start of its minute); 0 when all is flushed.",
      samples: [{ value: round(figures.runtime.flushLagSeconds) }],
    },
    {
      name: "tenantry_webhook_deliveries",
      type: "counter",
      help: "Webhook delivery attempts by result.",
      samples: DELIVERY_RESULTS.map((result) => ({ labels: { result }, value: figures.webhookDeliveries[result] })),
    },
    {
      name: "tenantry_billing_export_lag_seconds",
      type: "gauge",
      help: "Seconds since the end of the oldest hour the Stripe export still owes, else of the latest hour it finished (absent before its first run).",
      samples: figures.billingExportLagSeconds === null ? [] : [{ value: round(figures.billingExportLagSeconds) }],
    },
  ];
  return families;
}

export const PLATFORM_LABELS = { plans: PLAN_IDS, statuses: TENANT_STATUSES } as const;

/** `tenantry_quota_used_ratio{limit}`: used ÷ limit for each limit the tenant has (an unlimited one is left out). */
export function quotaFamily(ratios: Array<{ limit: string; used: number; of: number | null }>): MetricFamily {
  const samples: Sample[] = ratios.filter((ratio) => ratio.of !== null && ratio.of > 0).map((ratio) => ({ labels: { limit: ratio.limit }, value: round(ratio.used / ratio.of!, 6) }));
  return { name: "tenantry_quota_used_ratio", type: "gauge", help: "Share of the tenant's limit in use (requestsPerDay: today, UTC).", samples };
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
