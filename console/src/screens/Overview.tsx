import { call } from "../api.ts";
import type { AuditEvent, Page, Tenant, UsageReport } from "../types.ts";
import { useLoad } from "../ui/action.ts";
import { Chart } from "../ui/chart.tsx";
import { ErrorBox, Link, Loading, StatusBadge } from "../ui/components.tsx";
import { AuditTable } from "./AuditPanel.tsx";
import { IntegrationsCards } from "./IntegrationsCards.tsx";

/** How much the overview reads: it is built from the public API only, tenant by tenant. */
const MAX_TENANT_PAGES = 5;
const USAGE_TENANTS = 25;
const AUDIT_TENANTS = 8;

interface OverviewData {
  tenants: Tenant[];
  truncated: boolean;
  traffic: { times: number[]; requests: number[]; rejected: number[]; tenants: number };
  events: (AuditEvent & { tenantName: string })[];
}

async function loadOverview(): Promise<OverviewData> {
  const tenants: Tenant[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<Tenant> = await call("GET", "/v1/tenants", { query: { limit: 100, cursor: cursor ?? undefined } });
    tenants.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor && ++pages < MAX_TENANT_PAGES);

  // Requests by outcome over 24 h: there is no platform-wide metrics API on this version, so the
  // per-tenant usage API is summed (admitted requests vs rejected) over the most recently updated tenants.
  const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - 24 * 3_600_000);
  const live = [...tenants].filter((t) => t.status === "active" || t.status === "suspended").sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const reports = await Promise.all(
    live.slice(0, USAGE_TENANTS).map((tenant) =>
      call<UsageReport>("GET", `/v1/tenants/${tenant.id}/usage`, { query: { from: from.toISOString(), to: to.toISOString(), granularity: "hour" } }).catch(() => null),
    ),
  );
  const times = Array.from({ length: 24 }, (_, index) => from.getTime() / 1000 + index * 3600);
  const requests = times.map(() => 0);
  const rejected = times.map(() => 0);
  for (const report of reports) {
    report?.series.forEach((point) => {
      const index = Math.round((Date.parse(point.start) - from.getTime()) / 3_600_000);
      if (index >= 0 && index < 24) {
        requests[index]! += point.requests;
        rejected[index]! += point.rejected;
      }
    });
  }

  const recent = [...tenants].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, AUDIT_TENANTS);
  const audits = await Promise.all(
    recent.map((tenant) =>
      call<Page<AuditEvent>>("GET", `/v1/tenants/${tenant.id}/audit`, { query: { limit: 5 } }).then(
        (page) => page.data.map((event) => ({ ...event, tenantName: tenant.name })),
        () => [],
      ),
    ),
  );
  const events = audits.flat().sort((a, b) => b.at.localeCompare(a.at)).slice(0, 10);
  return { tenants, truncated: Boolean(cursor), traffic: { times, requests, rejected, tenants: Math.min(live.length, USAGE_TENANTS) }, events };
}

function countBy(tenants: Tenant[], field: "status" | "plan"): [string, number][] {
  const counts = new Map<string, number>();
  for (const tenant of tenants) counts.set(tenant[field], (counts.get(tenant[field]) ?? 0) + 1);
  return [...counts.entries()].sort();
}

export function Overview() {
  const overview = useLoad(loadOverview, []);
  const data = overview.data;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={overview.error} />
      {overview.loading && !data && <Loading what="the overview" />}
      {data && (
        <>
          <div class="cards">
            <div class="card">
              <h2>Tenants by status</h2>
              <dl class="counts">
                {countBy(data.tenants, "status").map(([status, count]) => (
                  <div key={status}><dt><StatusBadge status={status} /></dt><dd>{count}</dd></div>
                ))}
              </dl>
            </div>
            <div class="card">
              <h2>Tenants by plan</h2>
              <dl class="counts">
                {countBy(data.tenants, "plan").map(([plan, count]) => (
                  <div key={plan}><dt>{plan}</dt><dd>{count}</dd></div>
                ))}
              </dl>
            </div>
          </div>
          {data.tenants.length === 0 && <p class="muted">No tenants yet.</p>}
          {data.truncated && <p class="muted">Counts cover the newest {data.tenants.length} tenants.</p>}
          <Chart
            title={`Requests by outcome, last 24 h (admitted vs rejected; summed from the usage of ${data.traffic.tenants} most recently updated tenants)`}
            times={data.traffic.times}
            series={[
              { label: "admitted", values: data.traffic.requests, color: "#2563eb" },
              { label: "rejected", values: data.traffic.rejected, color: "#dc2626" },
            ]}
          />
          <IntegrationsCards />
          <h2>Provisioning or failed</h2>
          <ul class="plain">
            {data.tenants
              .filter((tenant) => ["pending", "provisioning", "failed"].includes(tenant.status))
              .map((tenant) => (
                <li key={tenant.id}>
                  <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link> <StatusBadge status={tenant.status} />
                  {tenant.provisioning.error && <span class="muted"> {tenant.provisioning.error}</span>}
                </li>
              ))}
            {!data.tenants.some((tenant) => ["pending", "provisioning", "failed"].includes(tenant.status)) && <li class="muted">None.</li>}
          </ul>
          <h2>Latest audit events</h2>
          <AuditTable events={data.events} showTenant />
        </>
      )}
    </section>
  );
}
