import { useLoad } from "../ui/action.ts";
import { ErrorBox, Link, Loading } from "../ui/components.tsx";
import { loadHealth } from "./webhooks/health.ts";
import { EndpointsTable } from "./webhooks/Webhooks.tsx";

/** Event types about a tenant (everything but webhook.test). */
const isTenantEvent = (type: string) => type === "*" || type !== "webhook.test";

/** The deployment's endpoints that receive this tenant's events (webhooks are not per tenant in the contract). */
export function TenantWebhooksPanel() {
  const endpoints = useLoad(() => loadHealth().then((all) => all.filter(({ endpoint }) => endpoint.events.some(isTenantEvent))), []);
  return (
    <section aria-labelledby="tenant-webhooks-title">
      <h2 id="tenant-webhooks-title">Webhooks receiving this tenant's events</h2>
      <p class="muted">
        Endpoints belong to the deployment and get the events of every tenant. <Link to="/webhooks">Manage webhooks</Link>
      </p>
      <ErrorBox error={endpoints.error} />
      {endpoints.loading && !endpoints.data && <Loading what="webhook endpoints" />}
      {endpoints.data && <EndpointsTable endpoints={endpoints.data} />}
    </section>
  );
}
