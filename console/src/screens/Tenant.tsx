import { useCallback } from "preact/hooks";
import { call } from "../api.ts";
import type { Plan, Tenant as TenantView } from "../types.ts";
import { useLoad, usePolling } from "../ui/action.ts";
import { ErrorBox, formatTime, Link, Loading, StatusBadge, Steps } from "../ui/components.tsx";
import { AuditPanel } from "./AuditPanel.tsx";
import { BillingCustomerPanel } from "./BillingCustomerPanel.tsx";
import { DataPanel } from "./DataPanel.tsx";
import { GatewayPanel } from "./GatewayPanel.tsx";
import { KeysPanel } from "./KeysPanel.tsx";
import { LifecyclePanel } from "./LifecyclePanel.tsx";
import { LimitsPanel } from "./LimitsPanel.tsx";
import { PortalLinkPanel } from "./PortalLinkPanel.tsx";
import { adminSource } from "./source.ts";
import { TenantWebhooksPanel } from "./TenantWebhooksPanel.tsx";
import { TokensPanel } from "./TokensPanel.tsx";
import { UsagePanel } from "./UsagePanel.tsx";

interface TabProps {
  tenant: TenantView;
  plans: Plan[];
  onChange: (tenant: TenantView) => void;
}

/**
 * The tenant's tabs. A new domain adds one entry here and its panel.
 */
const TABS: { id: string; label: string; render: (props: TabProps) => preact.ComponentChildren }[] = [
  {
    id: "",
    label: "Overview",
    render: (props) => (
      <>
        <LifecyclePanel {...props} />
        <LimitsPanel {...props} />
      </>
    ),
  },
  { id: "keys", label: "Keys", render: ({ tenant }) => <KeysPanel source={adminSource(tenant.id)} /> },
  { id: "tokens", label: "Tokens", render: ({ tenant }) => <TokensPanel tenantId={tenant.id} /> },
  { id: "usage", label: "Usage", render: ({ tenant }) => <UsagePanel source={adminSource(tenant.id)} /> },
  { id: "audit", label: "Audit", render: ({ tenant }) => <AuditPanel tenantId={tenant.id} /> },
  { id: "data", label: "Export / import", render: ({ tenant }) => <DataPanel tenantId={tenant.id} /> },
  {
    id: "integrations",
    label: "Integrations",
    render: (props) => (
      <>
        <GatewayPanel {...props} />
        <BillingCustomerPanel {...props} />
        <TenantWebhooksPanel />
      </>
    ),
  },
  { id: "portal", label: "Portal link", render: ({ tenant }) => <PortalLinkPanel tenantId={tenant.id} /> },
];

const SETTLED = new Set(["active", "suspended", "failed", "deleted"]);

export function Tenant({ id, tab }: { id: string; tab: string }) {
  const tenant = useLoad(() => call<TenantView>("GET", `/v1/tenants/${encodeURIComponent(id)}`), [id]);
  const plans = useLoad(() => call<{ data: Plan[] }>("GET", "/v1/plans"), []);
  const refresh = useCallback(() => {
    call<TenantView>("GET", `/v1/tenants/${encodeURIComponent(id)}`).then((value) => tenant.setData(value), () => undefined);
  }, [id]);
  const current = tenant.data;
  const busy = current && (!SETTLED.has(current.status) || (current.migration && ["queued", "running", "switching"].includes(current.migration.state)));
  usePolling(refresh, 700, Boolean(busy));
  const active = TABS.find((item) => item.id === tab) ?? TABS[0]!;

  if (tenant.error) return <ErrorBox error={tenant.error} />;
  if (!current) return <Loading what="tenant" />;
  return (
    <section>
      <p class="crumbs">
        <Link to="/tenants">Tenants</Link> /
      </p>
      <h1 class="tenant-name">
        <span data-testid="tenant-name">{current.name}</span> <StatusBadge status={current.status} />
      </h1>
      <dl class="facts">
        <div><dt>Id</dt><dd class="mono">{current.id}</dd></div>
        <div><dt>Plan</dt><dd data-testid="tenant-plan">{current.plan}</dd></div>
        <div><dt>Isolation</dt><dd data-testid="tenant-isolation">{current.isolation}</dd></div>
        <div><dt>Region</dt><dd>{current.region ?? "—"}</dd></div>
        <div><dt>Email</dt><dd>{current.email ?? "—"}</dd></div>
        <div><dt>Created</dt><dd>{formatTime(current.createdAt)}</dd></div>
        {current.purgeAfter && <div><dt>Purged after</dt><dd>{formatTime(current.purgeAfter)}</dd></div>}
      </dl>
      {Object.keys(current.metadata).length > 0 && (
        <p>
          Metadata: <code class="details">{JSON.stringify(current.metadata)}</code>
        </p>
      )}
      {current.status !== "active" && current.status !== "suspended" && current.provisioning.steps.length > 0 && (
        <div aria-live="polite">
          <h2>Provisioning <StatusBadge status={current.provisioning.state} /></h2>
          <Steps steps={current.provisioning.steps} />
        </div>
      )}
      <nav class="tabs" aria-label="Tenant sections">
        {TABS.map((item) => (
          <Link key={item.id} to={`/tenants/${current.id}${item.id ? `/${item.id}` : ""}`} class={item === active ? "tab active" : "tab"}>
            {item.label}
          </Link>
        ))}
      </nav>
      <div class="tab-body">{active.render({ tenant: current, plans: plans.data?.data ?? [], onChange: (value) => tenant.setData(value) })}</div>
    </section>
  );
}
