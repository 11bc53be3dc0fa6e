import { useEffect, useRef, useState } from "preact/hooks";
import { call, ProblemError } from "../api.ts";
import type { ExportHour, Tenant } from "../types.ts";
import { useAction, useLoad } from "../ui/action.ts";
import { Button, ErrorBox, Link } from "../ui/components.tsx";
import { exportsApi } from "./billing/exports-api.ts";
import { formatHour } from "./billing/ExportsTable.tsx";

const CUSTOMER_ID = /^[\x21-\x7e]{1,255}$/;

/** The Stripe customer the tenant's hourly usage is exported to, and this tenant's recent export failures. */
export function BillingCustomerPanel({ tenant, onChange }: { tenant: Tenant; onChange: (tenant: Tenant) => void }) {
  const current = tenant.billing?.stripeCustomerId ?? null;
  const [customer, setCustomer] = useState(current ?? "");
  // The field follows the saved customer when it changes (saved, removed), never on mount: an effect
  // that ran then could overwrite what was typed in the first frame.
  const shown = useRef(current);
  useEffect(() => {
    if (shown.current === current) return;
    shown.current = current;
    setCustomer(current ?? "");
  }, [current]);

  const save = useAction(async () => {
    const value = customer.trim();
    if (!CUSTOMER_ID.test(value)) {
      throw new ProblemError(400, "invalid_request", "The Stripe customer id is not valid.", [
        { path: "billing.stripeCustomerId", message: "A Stripe customer id such as cus_NffrFeUfNV2Hib (printable ASCII, no spaces, at most 255)" },
      ]);
    }
    onChange(await call<Tenant>("PATCH", `/v1/tenants/${tenant.id}`, { body: { billing: { stripeCustomerId: value } } }));
  });
  const remove = useAction(async () => onChange(await call<Tenant>("PATCH", `/v1/tenants/${tenant.id}`, { body: { billing: null } })));
  const failures = useLoad(() => exportsApi.list(24 * 7).then((hours) => failuresOf(tenant.id, hours)), [tenant.id]);

  return (
    <section aria-labelledby="billing-title">
      <h2 id="billing-title">Billing customer</h2>
      <p data-testid="billing-current">
        {current ? (
          <>
            Usage is exported hourly to Stripe customer <code>{current}</code>.
          </>
        ) : (
          "No Stripe customer: this tenant's usage is not exported."
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
          Stripe customer id
          <input required maxLength={255} placeholder="cus_…" value={customer} aria-invalid={save.error ? "true" : undefined} onInput={(e) => setCustomer(e.currentTarget.value)} />
        </label>
        <Button type="submit" variant="primary" busy={save.busy}>
          Save customer
        </Button>
        {current && (
          <Button busy={remove.busy} onClick={() => void remove.run()}>
            Remove customer
          </Button>
        )}
      </form>
      <ErrorBox error={save.error ?? remove.error} />
      {failures.data && failures.data.length > 0 && (
        <div class="error">
          <strong>Refused by Stripe in the last 7 days:</strong>
          <ul>
            {failures.data.map((failure) => (
              <li key={failure.hour}>
                {formatHour(failure.hour)}: {failure.error}
              </li>
            ))}
          </ul>
        </div>
      )}
      <p class="muted">
        <Link to="/billing">Export status of every hour</Link>
      </p>
    </section>
  );
}

function failuresOf(tenantId: string, hours: ExportHour[]): { hour: string; error: string }[] {
  return hours.flatMap((hour) => hour.failures.filter((failure) => failure.tenantId === tenantId).map((failure) => ({ hour: hour.hour, error: failure.error })));
}
