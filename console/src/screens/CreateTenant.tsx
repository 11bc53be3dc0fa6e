import { useCallback, useState } from "preact/hooks";
import { call, ProblemError } from "../api.ts";
import type { Tenant } from "../types.ts";
import { useAction, usePolling } from "../ui/action.ts";
import { Button, ErrorBox, Link, SecretOnce, StatusBadge, Steps } from "../ui/components.tsx";

const DONE = new Set(["active", "failed", "suspended", "deleted"]);

export function CreateTenant() {
  const [name, setName] = useState("");
  const [plan, setPlan] = useState("pro");
  const [email, setEmail] = useState("");
  const [metadata, setMetadata] = useState("");
  const [created, setCreated] = useState<{ tenant: Tenant; apiKey: { key: string } } | null>(null);
  const [tenant, setTenant] = useState<Tenant | null>(null);

  const create = useAction(async () => {
    let parsedMetadata: unknown;
    if (metadata.trim()) {
      try {
        parsedMetadata = JSON.parse(metadata);
      } catch {
        throw new ProblemError(400, "invalid_request", "Metadata must be a JSON object.", [{ path: "metadata", message: "Not valid JSON" }]);
      }
    }
    const body: Record<string, unknown> = { name: name.trim(), plan };
    if (email.trim()) body.email = email.trim();
    if (parsedMetadata !== undefined) body.metadata = parsedMetadata;
    const result = await call<{ tenant: Tenant; apiKey: { key: string } }>("POST", "/v1/tenants", { body });
    setCreated(result);
    setTenant(result.tenant);
  });

  const refresh = useCallback(() => {
    if (!tenant) return;
    call<Tenant>("GET", `/v1/tenants/${tenant.id}`).then(setTenant, () => undefined);
  }, [tenant?.id]);
  usePolling(refresh, 500, Boolean(tenant) && !DONE.has(tenant!.status));

  if (created && tenant) {
    return (
      <section>
        <h1>
          {tenant.name} <StatusBadge status={tenant.status} />
        </h1>
        <SecretOnce label="API key" value={created.apiKey.key} />
        <h2>Provisioning</h2>
        <p aria-live="polite">
          State: <StatusBadge status={tenant.provisioning.state} />
        </p>
        <Steps steps={tenant.provisioning.steps} />
        {tenant.provisioning.error && <div class="error">{tenant.provisioning.error}</div>}
        <p>
          <Link to={`/tenants/${tenant.id}`}>Open the tenant</Link>
        </p>
      </section>
    );
  }

  return (
    <section>
      <h1>Create a tenant</h1>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <label>
          Name
          <input name="name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Plan
          <select aria-label="Plan" name="plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
            <option value="free">free</option>
            <option value="pro">pro</option>
            <option value="enterprise">enterprise</option>
          </select>
        </label>
        <label>
          Email (optional)
          <input name="email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Metadata (optional JSON object)
          <textarea name="metadata" rows={3} value={metadata} onInput={(e) => setMetadata(e.currentTarget.value)} placeholder='{"team": "billing"}' />
        </label>
        <ErrorBox error={create.error} />
        <Button type="submit" variant="primary" busy={create.busy}>
          Create
        </Button>
      </form>
    </section>
  );
}
