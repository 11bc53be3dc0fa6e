// The console's static files as the Worker serves them: headers first (the browser tests are in
// console-browser.test.ts).
import { describe, expect, it } from "vitest";
import { call, expectProblem } from "../../support/api.ts";

describe("GET /console (static assets through the Worker)", () => {
  it("serves the app under /console with a strict CSP and never frames", async () => {
    for (const path of ["/console", "/console/", "/console/tenants/ten_x/keys", "/console/portal/keys"]) {
      const response = await call("GET", path, { headers: { Accept: "text/html" } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/text\/html/);
      expect(response.text).toContain('<div id="app">');
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
    }
    const index = await call("GET", "/console");
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(script).toBeTruthy();
    expect(index.text).not.toMatch(/<script>(?!<)/);
    expect(index.text).not.toMatch(/https?:\/\//);
    const asset = await call("GET", script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect((await call("GET", "/console/assets/missing.js")).status).toBe(404);
    // The API is still the API.
    expectProblem(await call("GET", "/v1/tenants"), 401, "unauthenticated");
    expect((await call("GET", "/v1/health")).status).toBe(200);
  });
});
