import { call } from "../api.ts";
import { navigate } from "../router.ts";
import { useAction, useLoad } from "../ui/action.ts";
import { Button, ErrorBox, formatNumber, formatTime, Link, Loading, StatusBadge } from "../ui/components.tsx";
import { KeysPanel } from "./KeysPanel.tsx";
import { portalSource } from "./source.ts";
import { UsagePanel } from "./UsagePanel.tsx";

interface PortalSession {
  tenant: { id: string; name: string; plan: string; status: string; isolation: string; createdAt: string };
  limits: Record<string, number | null>;
  features: string[];
  intent: string;
  expiresAt: string;
}

const PAGES = [
  { id: "overview", label: "Overview" },
  { id: "usage", label: "Usage" },
  { id: "keys", label: "Keys" },
];

/** The tenant portal: one tenant's own pages, on the cookie session a portal link opened. */
export function Portal({ page }: { page: string }) {
  const session = useLoad(() => call<PortalSession>("GET", "/v1/portal/session", { mode: "portal" }), []);
  const signOut = useAction(async () => {
    await call("DELETE", "/v1/portal/session", { mode: "portal" });
    navigate("/portal/signed-out", true);
  });
  if (page === "signed-out" || page === "invalid") {
    return (
      <main class="signin">
        <h1>Tenantry portal</h1>
        <p>{page === "signed-out" ? "You are signed out." : "This portal link no longer works."} Ask your operator for a new link.</p>
      </main>
    );
  }
  if (session.error) {
    return (
      <main class="signin">
        <h1>Tenantry portal</h1>
        <ErrorBox error={session.error} />
      </main>
    );
  }
  const data = session.data;
  if (!data) return <Loading what="your portal" />;
  const current = PAGES.find((item) => item.id === page) ?? PAGES[0]!;
  return (
    <>
      <header class="top">
        <span class="brand">{data.tenant.name}</span>
        <nav aria-label="Portal">
          {PAGES.map((item) => (
            <Link key={item.id} to={`/portal/${item.id}`} class={item === current ? "active" : ""}>
              {item.label}
            </Link>
          ))}
        </nav>
        <Button busy={signOut.busy} onClick={() => void signOut.run()}>
          Sign out
        </Button>
      </header>
      <main class="content">
        <ErrorBox error={signOut.error} />
        {current.id === "overview" && (
          <section>
            <h1>
              <span data-testid="tenant-name">{data.tenant.name}</span> <StatusBadge status={data.tenant.status} />
            </h1>
            <dl class="facts">
              <div><dt>Id</dt><dd class="mono">{data.tenant.id}</dd></div>
              <div><dt>Plan</dt><dd>{data.tenant.plan}</dd></div>
              <div><dt>Isolation</dt><dd>{data.tenant.isolation}</dd></div>
              <div><dt>Session ends</dt><dd>{formatTime(data.expiresAt)}</dd></div>
            </dl>
            <h2>Limits</h2>
            <div class="table-wrap">
              <table>
                <tbody>
                  {Object.entries(data.limits).map(([field, value]) => (
                    <tr key={field}><th scope="row">{field}</th><td>{formatNumber(value)}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted">Features: {data.features.join(", ")}</p>
          </section>
        )}
        {current.id === "usage" && <UsagePanel source={portalSource} />}
        {current.id === "keys" && <KeysPanel source={portalSource} />}
      </main>
    </>
  );
}
