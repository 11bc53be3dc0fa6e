// Master-key rotation through the running Worker, as an operator does it (docs/SECRETS.md):
// deploy with MASTER_KEY=new and MASTER_KEY_PREVIOUS=old, call the rotation until nothing remains,
// deploy without the old key. Secrets stay readable at every stage.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { admin, control } from "../../support/api.ts";
import { TEST_MASTER_KEY } from "../../support/global-setup.ts";
import { activeTenant } from "../../support/tenants.ts";

describe("master key rotation through the Worker", () => {
  it("keeps old ciphertexts readable during the rotation and after the old key is gone", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await t.call("PUT", "/v1/secrets/exchange", { body: { value: "s3cret-before" } })).status).toBe(200);

    const next = randomBytes(32).toString("base64");
    await control("worker/restart", { MASTER_KEY: next, MASTER_KEY_PREVIOUS: TEST_MASTER_KEY });
    expect((await t.call("GET", "/v1/secrets/exchange")).body.value).toBe("s3cret-before");
    expect((await t.call("PUT", "/v1/secrets/during", { body: { value: "written-during" } })).status).toBe(200);

    // Until a round re-wraps nothing: rows other suites corrupted on purpose can never be re-wrapped.
    let rewrapped = 0;
    let last: { rewrapped: number; failedTenantIds: string[] } | undefined;
    for (let round = 0; round < 100 && (last === undefined || last.rewrapped > 0); round++) {
      const response = await admin("POST", "/v1/admin/rotate-master-key", { body: { batchSize: 500 } });
      expect(response.status).toBe(200);
      last = response.body;
      rewrapped += response.body.rewrapped;
    }
    expect(rewrapped).toBeGreaterThanOrEqual(1);
    expect(last!.failedTenantIds).not.toContain(t.id);

    await control("worker/restart", { MASTER_KEY: next, MASTER_KEY_PREVIOUS: null });
    expect((await t.call("GET", "/v1/secrets/exchange")).body.value).toBe("s3cret-before");
    expect((await t.call("GET", "/v1/secrets/during")).body.value).toBe("written-during");
    const fresh = await activeTenant({ plan: "pro" });
    expect((await fresh.call("PUT", "/v1/secrets/x", { body: { value: "new tenant, new key" } })).status).toBe(200);
    expect((await fresh.call("GET", "/v1/secrets/x")).body.value).toBe("new tenant, new key");
  }, 120_000);
});
