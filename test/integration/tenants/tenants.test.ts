import { describe, expect, it } from "vitest";
import { admin, eventually, call, createTenant, expectProblem } from "../../support/api.ts";

const CONTROL_PLANE = [
  ["post", "/v1/tenants"],
  ["get", "/v1/tenants"],
  ["get", "/v1/tenants/{id}"],
  ["patch", "/v1/tenants/{id}"],
  ["delete", "/v1/tenants/{id}"],
  ["post", "/v1/tenants/{id}/provision"],
  ["post", "/v1/tenants/{id}/keys"],
  ["get", "/v1/tenants/{id}/keys"],
  ["delete", "/v1/tenants/{id}/keys/{keyId}"],
  ["post", "/v1/tenants/{id}/tokens"],
  ["get", "/v1/tenants/{id}/audit"],
] as const;

describe("POST /v1/tenants, GET /v1/tenants, GET /v1/tenants/{id}", () => {
  it("keeps any short region name, and places enterprise tenants by location hints", async () => {
    const named = await admin("POST", "/v1/tenants", { body: { name: "Named", plan: "enterprise", region: "EU-West-1" } });
    expect(named.status).toBe(202);
    expect(named.body.tenant.region).toBe("eu-west-1");
    const hinted = await admin("POST", "/v1/tenants", { body: { name: "Hinted", plan: "enterprise", region: "apac" } });
    expect(hinted.body.tenant.region).toBe("apac");
    for (const id of [named.body.tenant.id, hinted.body.tenant.id]) {
      await eventually(async () => (await admin("GET", `/v1/tenants/${id}`)).body.status === "active", 30_000, 100);
    }
  });

  it("creates a pending tenant with its first key, Location and the provisioning record", async () => {
    const response = await admin("POST", "/v1/tenants", {
      body: { name: "Acme", plan: "pro", email: "ops@acme.test", region: "weur", overrides: { burst: 300 }, metadata: { crm: "123" } },
    });
    expect(response.status).toBe(202);
    const { tenant, apiKey } = response.body;
    expect(response.headers.get("location")).toBe(`/v1/tenants/${tenant.id}`);
    expect(tenant).toMatchObject({
      name: "Acme",
      plan: "pro",
      status: "pending",
      isolation: "shared",
      region: "weur",
      email: "ops@acme.test",
      overrides: { burst: 300 },
      metadata: { crm: "123" },
      deletedAt: null,
      purgeAfter: null,
      migration: null,
    });
    expect(tenant.limits.burst).toBe(300);
    expect(tenant.provisioning).toMatchObject({ state: "queued", attempts: 0, error: null });
    expect(tenant.provisioning.steps).toHaveLength(5);
    expect(apiKey).toMatchObject({ scopes: ["read", "write"] });
    expect(apiKey.key).toMatch(/^tk_/);

    const fetched = await admin("GET", `/v1/tenants/${tenant.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(tenant.id);
  });

  it("lists newest first, filtered by status and plan, in pages", async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await createTenant({ plan: "enterprise", name: `list-${i}` })).tenant.id);
    const page = await admin("GET", "/v1/tenants?plan=enterprise&limit=2");
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.data.map((tenant: any) => tenant.id)).toEqual([made[2], made[1]]);
    const next = await admin("GET", `/v1/tenants?plan=enterprise&limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body.data[0].id).toBe(made[0]);
    for (const tenant of next.body.data) expect(tenant.plan).toBe("enterprise");

    expect((await admin("DELETE", `/v1/tenants/${made[0]}`)).status).toBe(202);
    const deleted = await admin("GET", "/v1/tenants?status=deleted&limit=100");
    expect(deleted.body.data.some((tenant: any) => tenant.id === made[0])).toBe(true);
    for (const tenant of deleted.body.data) expect(tenant.status).toBe("deleted");
  });

  it("rejects bad create input with 400 naming the field", async () => {
    for (const body of [{}, { name: "x" }, { name: "x", plan: "gold" }, { name: "x", plan: "pro", region: "not a region!" }, { name: "x", plan: "pro", email: "no" }]) {
      expectProblem(await admin("POST", "/v1/tenants", { body }), 400, "invalid_request");
    }
    const problem = expectProblem(await admin("POST", "/v1/tenants", { body: { name: "x", plan: "gold" } }), 400, "invalid_request");
    expect((problem.errors as any[])[0].path).toBe("body.plan");
    expectProblem(await admin("GET", "/v1/tenants?limit=0"), 400, "invalid_request");
    expectProblem(await admin("GET", "/v1/tenants/ten_00000000000000000000000000"), 404, "not_found");
    // Any id that names no tenant is simply not found, however long or odd.
    for (const id of ["x".repeat(300), "ten_%E2%9C%93", "%20"]) {
      expectProblem(await admin("GET", `/v1/tenants/${id}`), 404, "not_found");
      expectProblem(await admin("DELETE", `/v1/tenants/${id}/keys/${"k".repeat(300)}`), 404, "not_found");
    }
  });

  it("documents every control-plane route in the OpenAPI document", async () => {
    const doc = await call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    for (const [method, path] of CONTROL_PLANE) {
      const operation = doc.body.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeTruthy();
      expect(operation.security).toEqual([{ adminToken: [] }]);
      expect(Object.keys(operation.responses)).toContain("401");
    }
    expect(Object.keys(doc.body.paths["/v1/tenants/{id}"].delete.responses)).toContain("202");
  });
});
