import { describe, expect, it } from "vitest";
import { handleError } from "../../src/http/errors.ts";
import { createRouter } from "../../src/http/router.ts";
import { testHookRoutes } from "../../src/test-hooks/routes.ts";

function app() {
  const router = createRouter();
  router.use("*", async (c, next) => {
    c.set("requestId", "req_test");
    await next();
  });
  router.route("/", testHookRoutes);
  router.onError(handleError);
  return router;
}

const request = (path: string, method: string) =>
  new Request(`http://test${path}`, {
    method,
    headers: { Authorization: "Bearer admin", "Content-Type": "application/json" },
    body: JSON.stringify({ tenantId: "ten_x", times: 1, step: "cache" }),
  });

describe("test hook routes", () => {
  it("do not exist unless TEST_HOOKS is 1", async () => {
    for (const TEST_HOOKS of [undefined, "0", "true", ""]) {
      const env = { ADMIN_TOKEN: "admin", ...(TEST_HOOKS === undefined ? {} : { TEST_HOOKS }) };
      for (const [path, method] of [["/v1/_test/provisioning/deliver", "POST"], ["/v1/_test/provisioning/faults", "PUT"]] as const) {
        const response = await app().fetch(request(path, method), env);
        expect(response.status).toBe(404);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(((await response.json()) as { code: string }).code).toBe("not_found");
      }
    }
  });

  it("still demand the admin token when enabled", async () => {
    const response = await app().fetch(
      new Request("http://test/v1/_test/provisioning/deliver", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
      { ADMIN_TOKEN: "admin", TEST_HOOKS: "1" },
    );
    expect(response.status).toBe(401);
  });
});
