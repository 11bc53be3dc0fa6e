import { useState } from "preact/hooks";
import type { WebhookEndpoint } from "../../types.ts";
import { useLoad } from "../../ui/action.ts";
import { Button, ErrorBox, formatTime, Link, Loading, SecretOnce, StatusBadge } from "../../ui/components.tsx";
import { HEALTH_LABEL, loadHealth, type EndpointHealth } from "./health.ts";
import { WebhookForm } from "./WebhookForm.tsx";
import { webhooksApi } from "./webhooks-api.ts";

/** The deployment's webhook endpoints (they receive the events of every tenant), with their health. */
export function Webhooks() {
  const endpoints = useLoad(loadHealth, []);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<(WebhookEndpoint & { secret: string }) | null>(null);

  return (
    <section>
      <div class="title-row">
        <h1>Webhooks</h1>
        {!adding && (
          <Button variant="primary" onClick={() => setAdding(true)}>
            Add endpoint
          </Button>
        )}
      </div>
      <p class="muted">
        Standard Webhooks signed with each endpoint's secret. Endpoints belong to the deployment: each receives the events of every tenant it subscribes to.
      </p>
      {created && (
        <>
          <SecretOnce label={`Signing secret of ${created.url}`} value={created.secret} />
          <p>
            <Link to={`/webhooks/${created.id}`}>Open the endpoint</Link>
          </p>
        </>
      )}
      {adding && (
        <div class="card">
          <h2>New endpoint</h2>
          <WebhookForm
            submitLabel="Create endpoint"
            onCancel={() => setAdding(false)}
            onSubmit={async (input) => {
              setCreated(await webhooksApi.create(input));
              setAdding(false);
              endpoints.reload();
            }}
          />
        </div>
      )}
      <ErrorBox error={endpoints.error} />
      {endpoints.loading && !endpoints.data && <Loading what="webhook endpoints" />}
      {endpoints.data && <EndpointsTable endpoints={endpoints.data} />}
    </section>
  );
}

export function EndpointsTable({ endpoints }: { endpoints: EndpointHealth[] }) {
  if (endpoints.length === 0) return <p class="muted">No webhook endpoints.</p>;
  return (
    <div class="table-wrap">
      <table class="webhooks">
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Events</th>
            <th scope="col">Health</th>
            <th scope="col">Last delivery</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map(({ endpoint, health, last }) => (
            <tr key={endpoint.id} data-endpoint-id={endpoint.id}>
              <td>
                <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
                {endpoint.description && <div class="muted">{endpoint.description}</div>}
              </td>
              <td class="details">{endpoint.events.join(", ")}</td>
              <td>
                <span class={`badge badge-${health}`}>{HEALTH_LABEL[health]}</span>
                {endpoint.disabledReason && <div class="muted">{endpoint.disabledReason}</div>}
              </td>
              <td>
                {last ? (
                  <>
                    <StatusBadge status={last.status} /> <code>{last.type}</code> <span class="muted">{formatTime(last.at)}</span>
                  </>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
