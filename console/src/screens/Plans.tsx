import { call } from "../api.ts";
import { LIMIT_FIELDS, type Plan } from "../types.ts";
import { useLoad } from "../ui/action.ts";
import { ErrorBox, formatNumber, Loading } from "../ui/components.tsx";

export function Plans() {
  const plans = useLoad(() => call<{ data: Plan[] }>("GET", "/v1/plans"), []);
  return (
    <section>
      <h1>Plans</h1>
      <ErrorBox error={plans.error} />
      {plans.loading && !plans.data && <Loading what="plans" />}
      {plans.data && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Limit</th>
                {plans.data.data.map((plan) => (
                  <th scope="col" key={plan.id}>{plan.id}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {LIMIT_FIELDS.map((field) => (
                <tr key={field}>
                  <th scope="row">{field}</th>
                  {plans.data!.data.map((plan) => (
                    <td key={plan.id}>{formatNumber(plan.limits[field])}</td>
                  ))}
                </tr>
              ))}
              <tr>
                <th scope="row">features</th>
                {plans.data.data.map((plan) => (
                  <td key={plan.id}>{plan.features.join(", ")}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">isolation</th>
                {plans.data.data.map((plan) => (
                  <td key={plan.id}>{plan.isolation}</td>
                ))}
              </tr>
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
