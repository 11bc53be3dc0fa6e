import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { testHooksEnabled } from "../../src/test-hooks/enabled.ts";

// The Worker's own app, built as workers/edge.ts builds it for this environment.
const app = (env: { TEST_HOOKS?: string }) => createApp({ testHooks: testHooksEnabled(env) });
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

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
        const response = await app(env).fetch(request(path, method), env, ctx);
        expect(response.status).toBe(404);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(((await response.json()) as { code: string }).code).toBe("not_found");
      }
    }
  });

  it("still demand the admin token when enabled", async () => {
    const env = { ADMIN_TOKEN: "admin", TEST_HOOKS: "1" };
    const response = await app(env).fetch(
      new Request("http://test/v1/_test/provisioning/deliver", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
      env,
      ctx,
    );
    expect(response.status).toBe(401);
  });
});
