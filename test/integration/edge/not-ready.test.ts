import { describe, expect, it } from "vitest";
import { admin, call, createTenant, eventually, expectProblem } from "../../support/api.ts";

describe("tenants that are not ready", () => {
  it("answer 503 tenant_not_ready with Retry-After while provisioning fails, and serve once provisioned", async () => {
    const name = `not-ready-${Date.now()}`;
    await admin("PUT", "/v1/_test/provisioning/faults", { body: { tenantName: name, step: "smoke_test", times: 1000 } });
    const created = await createTenant({ name, plan: "pro" });
    const key = created.apiKey.key;

    const pending = await call("GET", "/v1/me", { token: key });
    const problem = expectProblem(pending, 503, "tenant_not_ready");
    expect(problem.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(pending.headers.get("ratelimit-policy")).toContain('"burst"');
    expectProblem(await call("PUT", "/v1/maps/m/k", { token: key, body: 1 }), 503, "tenant_not_ready");

    // Retries exhausted: the dead-letter consumer marks it failed; still not ready.
    await eventually(async () => (await admin("GET", `/v1/tenants/${created.tenant.id}`)).body.status === "failed", 60_000, 250);
    expectProblem(await call("GET", "/v1/me", { token: key }), 503, "tenant_not_ready");

    await admin("PUT", "/v1/_test/provisioning/faults", { body: { tenantName: name, step: "smoke_test", times: 0 } });
    expect((await admin("POST", `/v1/tenants/${created.tenant.id}/provision`)).status).toBe(202);
    await eventually(async () => (await call("GET", "/v1/me", { token: key })).status === 200, 30_000, 200);
  }, 90_000);
});
