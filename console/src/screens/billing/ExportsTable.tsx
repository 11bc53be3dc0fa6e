import type { ExportHour } from "../../types.ts";
import { Link, StatusBadge } from "../../ui/components.tsx";

/** Export hours are UTC hours: shown in UTC, whatever the browser's time zone. */
export const formatHour = (iso: string) => `${new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;

/** Exported hours with their status and each refused tenant's error. */
export function ExportsTable({ hours }: { hours: ExportHour[] }) {
  if (hours.length === 0) return <p class="muted">No export has run in this range.</p>;
  return (
    <div class="table-wrap">
      <table class="exports">
        <thead>
          <tr>
            <th scope="col">Hour</th>
            <th scope="col">Status</th>
            <th scope="col">Tenants</th>
            <th scope="col">Meter events</th>
            <th scope="col">Failures</th>
          </tr>
        </thead>
        <tbody>
          {hours.map((hour) => (
            <tr key={hour.hour} data-hour={hour.hour}>
              <td>{formatHour(hour.hour)}</td>
              <td><StatusBadge status={hour.status} /></td>
              <td>{hour.tenants}</td>
              <td>{hour.events}</td>
              <td>
                {hour.failures.length === 0
                  ? "—"
                  : hour.failures.map((failure) => (
                      <div key={failure.tenantId}>
                        <Link to={`/tenants/${failure.tenantId}`}>{failure.tenantId}</Link> <span class="muted details">{failure.error}</span>
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
