import { useEffect, useState } from "preact/hooks";
import { call, ProblemError, type FieldError } from "../api.ts";
import { LIMIT_FIELDS, type Plan, type Tenant } from "../types.ts";
import { useAction } from "../ui/action.ts";
import { Button, ErrorBox, formatNumber } from "../ui/components.tsx";

/** Effective limits beside the plan's and the overrides, and an editor for the overrides. */
export function LimitsPanel({ tenant, plans, onChange }: { tenant: Tenant; plans: Plan[]; onChange: (tenant: Tenant) => void }) {
  const plan = plans.find((item) => item.id === tenant.plan);
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => {
    setDraft(Object.fromEntries(LIMIT_FIELDS.map((field) => [field, tenant.overrides[field] == null ? "" : String(tenant.overrides[field])])));
  }, [tenant.overrides]);

  const save = useAction(async () => {
    // Merge patch: a cleared field is sent as null (removed), a changed one as its number.
    const overrides: Record<string, number | null> = {};
    const errors: FieldError[] = [];
    for (const field of LIMIT_FIELDS) {
      const text = (draft[field] ?? "").trim();
      const current = tenant.overrides[field];
      if (text === "") {
        if (current !== undefined) overrides[field] = null;
        continue;
      }
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0) {
        errors.push({ path: `overrides.${field}`, message: "Must be a whole number ≥ 0, or empty to use the plan's" });
        continue;
      }
      if (value !== current) overrides[field] = value;
    }
    if (errors.length) throw new ProblemError(400, "invalid_request", "Some overrides are not valid.", errors);
    if (Object.keys(overrides).length === 0) return;
    onChange(await call<Tenant>("PATCH", `/v1/tenants/${tenant.id}`, { body: { overrides } }));
  });

  return (
    <section aria-labelledby="limits-title">
      <h2 id="limits-title">Limits</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save.run();
        }}
      >
        <div class="table-wrap">
          <table class="limits">
            <thead>
              <tr>
                <th scope="col">Limit</th>
                <th scope="col">Effective</th>
                <th scope="col">Plan ({tenant.plan})</th>
                <th scope="col">Override</th>
              </tr>
            </thead>
            <tbody>
              {LIMIT_FIELDS.map((field) => (
                <tr key={field}>
                  <th scope="row">
                    <label for={`override-${field}`}>{field}</label>
                  </th>
                  <td data-limit={field}>{formatNumber(tenant.limits[field])}</td>
                  <td>{plan ? formatNumber(plan.limits[field]) : "…"}</td>
                  <td>
                    <input
                      id={`override-${field}`}
                      inputMode="numeric"
                      class="narrow"
                      placeholder="plan"
                      value={draft[field] ?? ""}
                      aria-invalid={save.error?.errors.some((e) => e.path === `overrides.${field}`) ? "true" : undefined}
                      onInput={(e) => setDraft({ ...draft, [field]: e.currentTarget.value })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="muted">Empty means the plan's value. Features: {tenant.features.join(", ") || "none"}.</p>
        <ErrorBox error={save.error} />
        <Button type="submit" variant="primary" busy={save.busy}>
          Save overrides
        </Button>
      </form>
    </section>
  );
}
