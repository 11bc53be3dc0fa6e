import { beforeAll, describe, expect, it } from "vitest";
import { admin, adminToken, call, expectProblem } from "../../support/api.ts";
import { fetchOpenApi, fillPath, operationsOf, planeOf, type Operation } from "../../support/openapi-operations.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

/**
 * Every operation the OpenAPI document says is secured is walked with no credential, a garbage
 * one and the other plane's real one (the admin token on a tenant route, a tenant's API key on an
 * admin route): each must answer 401 `unauthenticated`. A route added later is covered without
 * editing this file.
 */
describe("every secured operation in /openapi.json refuses a missing, garbage or other-plane credential", () => {
  let secured: Operation[];
  let tenant: ActiveTenant;
  let params: Record<string, string>;

  beforeAll(async () => {
    secured = operationsOf(await fetchOpenApi()).filter((operation) => planeOf(operation) !== "public");
    tenant = await activeTenant({ plan: "enterprise" });
    const keys = await admin("GET", `/v1/tenants/${tenant.id}/keys`);
    params = { id: tenant.id, keyId: keys.body.data[0].id, map: "todos", key: "k1", name: "api_key" };
  }, 90_000);

  it("covers the contract's secured routes", () => {
    expect(secured.length).toBeGreaterThanOrEqual(30);
    for (const id of ["isolation.change", "tenants.export", "tenants.import", "usage.flush", "plans.list", "me.get", "maps.index"]) {
      expect(secured.map((operation) => operation.operationId)).toContain(id);
    }
  });

  it("answers 401 unauthenticated for each", async () => {
    const failures: string[] = [];
    for (const operation of secured) {
      const path = fillPath(operation.path, params);
      const otherPlane = planeOf(operation) === "admin" ? tenant.key : adminToken();
      const body = operation.takesJsonBody || ["POST", "PUT", "PATCH"].includes(operation.method) ? {} : undefined;
      for (const [label, token] of [["no credential", null], ["a garbage credential", "garbage"], ["the other plane's credential", otherPlane]] as const) {
        const response = await call(operation.method, path, { token, body });
        try {
          // A HEAD answer carries the status and headers, no problem document.
          if (operation.method === "HEAD") expect(response.status).toBe(401);
          else expectProblem(response, 401, "unauthenticated");
        } catch (error) {
          failures.push(`${operation.operationId} ${operation.method} ${path} with ${label}: ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
