import type { ExportHour } from "../types.ts";
import { useLoad } from "../ui/action.ts";
import { ErrorBox, Link, Loading, StatusBadge } from "../ui/components.tsx";
import { exportsApi } from "./billing/exports-api.ts";
import { formatHour } from "./billing/ExportsTable.tsx";
import { HEALTH_LABEL, loadHealth, type Health } from "./webhooks/health.ts";

/** On the overview: webhook endpoints by health, and the Stripe export of the last 24 hours. Each loads on its own. */
export function IntegrationsCards() {
  const webhooks = useLoad(loadHealth, []);
  const exports = useLoad(() => exportsApi.list(24), []);
  const unhealthy = webhooks.data?.filter((item) => item.health === "failing" || item.health === "disabled") ?? [];
  return (
    <div class="cards">
      <div class="card" data-testid="webhooks-card">
        <h2>Webhooks</h2>
        <ErrorBox error={webhooks.error} />
        {webhooks.loading && !webhooks.data && <Loading what="webhooks" />}
        {webhooks.data && (
          <>
            <dl class="counts">
              {(["healthy", "failing", "disabled", "idle"] as Health[]).map((health) => (
                <div key={health}>
                  <dt><span class={`badge badge-${health}`}>{HEALTH_LABEL[health]}</span></dt>
                  <dd data-health={health}>{webhooks.data!.filter((item) => item.health === health).length}</dd>
                </div>
              ))}
            </dl>
            <ul class="plain">
              {unhealthy.map(({ endpoint, health }) => (
                <li key={endpoint.id}>
                  <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link> <span class={`badge badge-${health}`}>{health}</span>
                </li>
              ))}
            </ul>
            <Link to="/webhooks">All endpoints</Link>
          </>
        )}
      </div>
      <div class="card" data-testid="exports-card">
        <h2>Stripe export, last 24 h</h2>
        <ErrorBox error={exports.error} />
        {exports.loading && !exports.data && <Loading what="exports" />}
        {exports.data && <ExportSummary hours={exports.data} />}
        <Link to="/billing">Export status</Link>
      </div>
    </div>
  );
}

function ExportSummary({ hours }: { hours: ExportHour[] }) {
  if (hours.length === 0) return <p class="muted">No hour exported in the last 24 h.</p>;
  const latest = hours[0]!;
  const counts = new Map<string, number>();
  for (const hour of hours) counts.set(hour.status, (counts.get(hour.status) ?? 0) + 1);
  return (
    <>
      <p>
        Latest: {formatHour(latest.hour)} <StatusBadge status={latest.status} /> ({latest.events} events, {latest.tenants} tenants)
      </p>
      <dl class="counts">
        {[...counts.entries()].sort().map(([status, count]) => (
          <div key={status}><dt><StatusBadge status={status} /></dt><dd>{count}</dd></div>
        ))}
      </dl>
    </>
  );
}
