import { useEffect, useState } from "preact/hooks";
import { call, ProblemError, type FieldError } from "../api.ts";
import type { Tenant } from "../types.ts";
import { useAction } from "../ui/action.ts";
import { Button, ErrorBox } from "../ui/components.tsx";

const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/** What the browser can check before the API does (which also applies the environment's rules). */
function checkGateway(origin: string, timeout: string): FieldError[] {
  const errors: FieldError[] = [];
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    errors.push({ path: "gateway.origin", message: "Not a URL: expected https://host[:port][/path]" });
  }
  if (url && url.protocol !== "https:" && url.protocol !== "http:") errors.push({ path: "gateway.origin", message: "Expected an https:// URL" });
  if (url && (url.search || url.hash)) errors.push({ path: "gateway.origin", message: "No query string or fragment" });
  if (timeout !== "") {
    const value = Number(timeout);
    if (!Number.isInteger(value) || value < MIN_TIMEOUT_MS || value > MAX_TIMEOUT_MS) {
      errors.push({ path: "gateway.timeoutMs", message: `A whole number of milliseconds, ${MIN_TIMEOUT_MS}–${MAX_TIMEOUT_MS}` });
    }
  }
  return errors;
}

/** The tenant's gateway origin: where its `/gw/*` requests are forwarded (else the deployment's GATEWAY_ORIGIN). */
export function GatewayPanel({ tenant, onChange }: { tenant: Tenant; onChange: (tenant: Tenant) => void }) {
  const current = tenant.gateway ?? null;
  const [origin, setOrigin] = useState("");
  const [timeout, setTimeoutMs] = useState("");
  useEffect(() => {
    setOrigin(current?.origin ?? "");
    setTimeoutMs(current && current.timeoutMs !== DEFAULT_TIMEOUT_MS ? String(current.timeoutMs) : "");
  }, [current?.origin, current?.timeoutMs]);

  const save = useAction(async () => {
    const errors = checkGateway(origin.trim(), timeout.trim());
    if (errors.length) throw new ProblemError(400, "invalid_request", "The gateway settings are not valid.", errors);
    const gateway = { origin: origin.trim(), timeoutMs: timeout.trim() === "" ? null : Number(timeout) };
    onChange(await call<Tenant>("PATCH", `/v1/tenants/${tenant.id}`, { body: { gateway } }));
  });
  const remove = useAction(async () => onChange(await call<Tenant>("PATCH", `/v1/tenants/${tenant.id}`, { body: { gateway: null } })));
  const invalid = (field: string) => (save.error?.errors.some((e) => e.path.endsWith(field)) ? "true" : undefined);

  return (
    <section aria-labelledby="gateway-title">
      <h2 id="gateway-title">Gateway origin</h2>
      <p data-testid="gateway-current">
        {current ? (
          <>
            <code>/gw/*</code> goes to <code>{current.origin}</code> (timeout {current.timeoutMs.toLocaleString("en-US")} ms)
          </>
        ) : (
          <>
            No origin of its own: <code>/gw/*</code> goes to the deployment's <code>GATEWAY_ORIGIN</code>, if set.
          </>
        )}
      </p>
      <form
        class="inline-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <label>
          Origin URL
          <input type="url" required maxLength={2048} placeholder="https://api.example.com" value={origin} aria-invalid={invalid("origin")} onInput={(e) => setOrigin(e.currentTarget.value)} />
        </label>
        <label>
          Timeout (ms, optional)
          <input inputMode="numeric" class="narrow" placeholder={String(DEFAULT_TIMEOUT_MS)} value={timeout} aria-invalid={invalid("timeoutMs")} onInput={(e) => setTimeoutMs(e.currentTarget.value)} />
        </label>
        <Button type="submit" variant="primary" busy={save.busy}>
          Save origin
        </Button>
        {current && (
          <Button busy={remove.busy} onClick={() => void remove.run()}>
            Remove origin
          </Button>
        )}
      </form>
      <ErrorBox error={save.error ?? remove.error} />
    </section>
  );
}
