import { render } from "preact";
import { useState } from "preact/hooks";
import { adminToken, whenUnauthenticated } from "./api.ts";
import { useRoute } from "./router.ts";
import { CreateTenant } from "./screens/CreateTenant.tsx";
import { Overview } from "./screens/Overview.tsx";
import { Plans } from "./screens/Plans.tsx";
import { Portal } from "./screens/Portal.tsx";
import { SignIn } from "./screens/SignIn.tsx";
import { Tenant } from "./screens/Tenant.tsx";
import { Tenants } from "./screens/Tenants.tsx";
import { Billing } from "./screens/billing/Billing.tsx";
import { WebhookDetail } from "./screens/webhooks/WebhookDetail.tsx";
import { Webhooks } from "./screens/webhooks/Webhooks.tsx";
import { Button, Link } from "./ui/components.tsx";
import "./styles.css";

function Screen({ path }: { path: string }) {
  if (path === "/" || path === "") return <Overview />;
  if (path === "/tenants") return <Tenants />;
  if (path === "/tenants/new") return <CreateTenant />;
  if (path === "/plans") return <Plans />;
  if (path === "/webhooks") return <Webhooks />;
  if (path === "/billing") return <Billing />;
  const webhook = /^\/webhooks\/([^/]+)$/.exec(path);
  if (webhook) return <WebhookDetail key={webhook[1]} id={decodeURIComponent(webhook[1]!)} />;
  const tenant = /^\/tenants\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (tenant) return <Tenant key={tenant[1]} id={decodeURIComponent(tenant[1]!)} tab={tenant[2] ?? ""} />;
  return <p>No such page. <Link to="/">Back to the overview</Link></p>;
}

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(() => Boolean(adminToken.get()));
  whenUnauthenticated((mode) => {
    if (mode === "admin" && adminToken.get()) {
      adminToken.clear();
      setSignedIn(false);
    }
  });

  const portal = /^\/portal(?:\/([a-z-]+))?$/.exec(route.path);
  if (portal) return <Portal page={portal[1] ?? "overview"} />;
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const section = ["tenants", "webhooks", "billing", "plans"].find((name) => route.path.startsWith(`/${name}`)) ?? "overview";
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Tenantry Console</span>
        <nav aria-label="Main">
          <Link to="/" class={section === "overview" ? "active" : ""}>Overview</Link>
          <Link to="/tenants" class={section === "tenants" ? "active" : ""}>Tenants</Link>
          <Link to="/webhooks" class={section === "webhooks" ? "active" : ""}>Webhooks</Link>
          <Link to="/billing" class={section === "billing" ? "active" : ""}>Billing</Link>
          <Link to="/plans" class={section === "plans" ? "active" : ""}>Plans</Link>
        </nav>
        <Button
          onClick={() => {
            adminToken.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </Button>
      </header>
      <main id="main" class="content">
        <Screen path={route.path} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
