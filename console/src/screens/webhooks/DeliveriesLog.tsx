import { useCallback, useState } from "preact/hooks";
import type { WebhookDelivery } from "../../types.ts";
import { useLoad, usePolling } from "../../ui/action.ts";
import { Button, ErrorBox, formatTime, Loading, StatusBadge } from "../../ui/components.tsx";
import { webhooksApi } from "./webhooks-api.ts";

const PAGE = 20;

/** The endpoint's deliveries, newest first; the first page refreshes by itself every 2 s. */
export function DeliveriesLog({ endpointId, version }: { endpointId: string; version: number }) {
  const [status, setStatus] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => webhooksApi.deliveries(endpointId, { limit: PAGE, status: status || undefined, cursor }), [endpointId, status, cursor, version]);
  const refresh = useCallback(() => {
    webhooksApi.deliveries(endpointId, { limit: PAGE, status: status || undefined, cursor }).then((value) => page.setData(value), () => undefined);
  }, [endpointId, status, cursor]);
  usePolling(refresh, 2000, !cursor);

  return (
    <section aria-labelledby="deliveries-title">
      <div class="title-row">
        <h2 id="deliveries-title">Recent deliveries</h2>
        <div class="inline">
          <label>
            Status
            <select
              aria-label="Delivery status"
              value={status}
              onChange={(e) => {
                setStatus(e.currentTarget.value);
                setCursors([]);
              }}
            >
              <option value="">all</option>
              <option value="pending">pending</option>
              <option value="delivered">delivered</option>
              <option value="failed">failed</option>
            </select>
          </label>
          <Button busy={page.loading} onClick={page.reload}>
            Refresh
          </Button>
        </div>
      </div>
      <ErrorBox error={page.error} />
      {page.loading && !page.data && <Loading what="deliveries" />}
      {page.data && <DeliveriesTable deliveries={page.data.data} />}
      <div class="pager">
        <Button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </Button>
        <Button disabled={!page.data?.nextCursor} onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}>
          Older
        </Button>
      </div>
    </section>
  );
}

export function DeliveriesTable({ deliveries }: { deliveries: WebhookDelivery[] }) {
  if (deliveries.length === 0) return <p class="muted">No deliveries.</p>;
  return (
    <div class="table-wrap">
      <table class="deliveries">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Response</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((delivery) => (
            <tr key={delivery.id} data-delivery-status={delivery.status}>
              <td>{formatTime(delivery.at)}</td>
              <td><code>{delivery.type}</code></td>
              <td><StatusBadge status={delivery.status} /></td>
              <td>{delivery.attempt}</td>
              <td>
                {delivery.responseStatus ?? "—"}
                {delivery.error && <div class="muted details">{delivery.error}</div>}
              </td>
              <td class="mono">{delivery.messageId}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
