import { useState } from "preact/hooks";
import { call } from "../api.ts";
import type { AuditEvent, Page } from "../types.ts";
import { useLoad } from "../ui/action.ts";
import { Button, ErrorBox, formatTime, Loading } from "../ui/components.tsx";

const ACTIONS = [
  "",
  "tenant.created",
  "tenant.updated",
  "tenant.suspended",
  "tenant.resumed",
  "tenant.deleted",
  "tenant.provisioned",
  "tenant.isolation_changed",
  "key.created",
  "key.revoked",
  "token.issued",
  "portal.link_created",
  "portal.opened",
  "security.tenant_mismatch",
];

export function AuditPanel({ tenantId }: { tenantId: string }) {
  const [action, setAction] = useState("");
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () => call<Page<AuditEvent>>("GET", `/v1/tenants/${tenantId}/audit`, { query: { action, cursor, limit: 20 } }),
    [tenantId, action, cursor],
  );
  return (
    <section aria-labelledby="audit-title">
      <div class="title-row">
        <h2 id="audit-title">Audit log</h2>
        <label>
          Action{" "}
          <select
            aria-label="Action"
            value={action}
            onChange={(e) => {
              setCursors([undefined]);
              setAction(e.currentTarget.value);
            }}
          >
            {ACTIONS.map((value) => (
              <option key={value} value={value}>{value || "all"}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={page.error} />
      {page.loading && !page.data && <Loading what="audit events" />}
      {page.data && <AuditTable events={page.data.data} />}
      {page.data && (
        <div class="pager">
          <Button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </Button>
          <span class="muted">Page {cursors.length}</span>
          <Button disabled={!page.data.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor!])}>
            Older
          </Button>
        </div>
      )}
    </section>
  );
}

/** Details are tenant-influenced text: rendered as text nodes only. */
export function AuditTable({ events, showTenant }: { events: (AuditEvent & { tenantName?: string })[]; showTenant?: boolean }) {
  return (
    <div class="table-wrap">
      <table class="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            {showTenant && <th scope="col">Tenant</th>}
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>{formatTime(event.at)}</td>
              {showTenant && <td>{event.tenantName}</td>}
              <td>{event.action}</td>
              <td class="mono">{event.actor}</td>
              <td>
                <code class="details">{JSON.stringify(event.details)}</code>
              </td>
            </tr>
          ))}
          {events.length === 0 && (
            <tr>
              <td colSpan={showTenant ? 5 : 4} class="muted">No events.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
