import { useState } from "preact/hooks";
import { call } from "../api.ts";
import { navigate } from "../router.ts";
import type { Plan, Tenant } from "../types.ts";
import { useAction } from "../ui/action.ts";
import { Button, Confirm, ErrorBox, StatusBadge, Steps } from "../ui/components.tsx";

/** Plan, suspend/resume, delete, and promotion between shared and dedicated isolation. */
export function LifecyclePanel({ tenant, plans, onChange }: { tenant: Tenant; plans: Plan[]; onChange: (tenant: Tenant) => void }) {
  const [plan, setPlan] = useState(tenant.plan);
  const [confirm, setConfirm] = useState<"suspend" | "delete" | "isolation" | null>(null);
  const [hard, setHard] = useState(false);
  const base = `/v1/tenants/${tenant.id}`;

  const changePlan = useAction(async () => onChange(await call<Tenant>("PATCH", base, { body: { plan } })));
  const setStatus = useAction(async (status: "suspended" | "active") => {
    onChange(await call<Tenant>("PATCH", base, { body: { status } }));
    setConfirm(null);
  });
  const remove = useAction(async () => {
    await call<Tenant>("DELETE", base, { query: { hard: hard ? "true" : undefined } });
    setConfirm(null);
    navigate("/tenants");
  });
  const target = tenant.isolation === "shared" ? "dedicated" : "shared";
  const moveIsolation = useAction(async () => {
    onChange(await call<Tenant>("POST", `${base}/isolation`, { body: { level: target } }));
    setConfirm(null);
  });
  const deleted = tenant.status === "deleted";
  const migrating = tenant.migration && ["queued", "running", "switching"].includes(tenant.migration.state);

  return (
    <section aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">Plan and lifecycle</h2>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void changePlan.run();
        }}
      >
        <label>
          Plan
          <select aria-label="Plan" name="plan" value={plan} disabled={deleted} onChange={(e) => setPlan(e.currentTarget.value)}>
            {plans.map((item) => (
              <option key={item.id} value={item.id}>{item.id}</option>
            ))}
          </select>
        </label>
        <Button type="submit" busy={changePlan.busy} disabled={deleted || plan === tenant.plan}>
          Change plan
        </Button>
      </form>
      <ErrorBox error={changePlan.error} />

      <div class="actions">
        {tenant.status === "suspended" ? (
          <Button variant="primary" busy={setStatus.busy} onClick={() => void setStatus.run("active")}>
            Resume
          </Button>
        ) : (
          <Button disabled={tenant.status !== "active"} onClick={() => setConfirm("suspend")}>
            Suspend
          </Button>
        )}
        <Button disabled={deleted || Boolean(migrating)} onClick={() => setConfirm("isolation")}>
          {target === "dedicated" ? "Promote to dedicated" : "Demote to shared"}
        </Button>
        <Button variant="danger" disabled={deleted} onClick={() => setConfirm("delete")}>
          Delete
        </Button>
      </div>
      <ErrorBox error={setStatus.error ?? moveIsolation.error ?? remove.error} />

      {tenant.migration && (
        <div class="migration" aria-live="polite">
          <h3>
            Isolation migration {tenant.migration.from && `${tenant.migration.from} → ${tenant.migration.to}`} <StatusBadge status={tenant.migration.state} />
          </h3>
          {tenant.migration.steps && <Steps steps={tenant.migration.steps} />}
          {tenant.migration.error && <div class="error">{tenant.migration.error}</div>}
        </div>
      )}

      <Confirm
        open={confirm === "suspend"}
        title={`Suspend ${tenant.name}?`}
        confirmLabel="Suspend"
        busy={setStatus.busy}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void setStatus.run("suspended")}
      >
        <p>Reads keep working; every write gets 403 tenant_suspended until you resume it.</p>
        <ErrorBox error={setStatus.error} />
      </Confirm>
      <Confirm
        open={confirm === "isolation"}
        title={target === "dedicated" ? "Promote to dedicated isolation?" : "Demote to shared isolation?"}
        confirmLabel={target === "dedicated" ? "Promote" : "Demote"}
        busy={moveIsolation.busy}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void moveIsolation.run()}
      >
        <p>The tenant's data is copied online; its steps show here as they run.</p>
        <ErrorBox error={moveIsolation.error} />
      </Confirm>
      <Confirm
        open={confirm === "delete"}
        title={`Delete ${tenant.name}?`}
        confirmLabel={hard ? "Delete and purge now" : "Delete"}
        busy={remove.busy}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void remove.run()}
      >
        <p>Every key and token stops working at once. The data is kept until the retention period ends.</p>
        <label class="check">
          <input type="checkbox" checked={hard} onChange={(e) => setHard(e.currentTarget.checked)} /> Purge the data now (hard delete)
        </label>
        <ErrorBox error={remove.error} />
      </Confirm>
    </section>
  );
}
