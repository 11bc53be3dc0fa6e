import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, call, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";
import { dumpEverything, secretRow } from "../../support/secrets-db.ts";
import { ownerPool } from "../../support/postgres.ts";

const pool = ownerPool();
const HEADER = "X-Tenant-Wrapping-Key";
const newKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");

let enterprise: ActiveTenant;
let pro: ActiveTenant;

beforeAll(async () => {
  [enterprise, pro] = await Promise.all([activeTenant({ plan: "enterprise" }), activeTenant({ plan: "pro" })]);
}, 120_000);

afterAll(async () => {
  await pool.end();
});

const setByok = (tenantId: string, body: unknown, current?: string) =>
  admin("PUT", `/v1/tenants/${tenantId}/byok`, { body, headers: current ? { [HEADER]: current } : {} });
const dropByok = (tenantId: string, current?: string) =>
  admin("DELETE", `/v1/tenants/${tenantId}/byok`, { headers: current ? { [HEADER]: current } : {} });
const read = (tenant: ActiveTenant, name: string, key?: string) =>
  tenant.call("GET", `/v1/secrets/${name}`, { headers: key ? { [HEADER]: key } : {} });
const write = (tenant: ActiveTenant, name: string, value: string, key?: string) =>
  tenant.call("PUT", `/v1/secrets/${name}`, { body: { value }, headers: key ? { [HEADER]: key } : {} });

describe("PUT and DELETE /v1/tenants/{id}/byok (bring your own wrapping key, enterprise)", () => {
  it("is refused for other plans, unknown tenants, malformed input and without the admin token", async () => {
    expectProblem(await setByok(pro.id, { keyId: "k1", key: newKey() }), 403, "upgrade_required");
    expectProblem(await setByok("ten_01jh5k7x9q0000000000000000", { keyId: "k1", key: newKey() }), 404, "not_found");
    for (const body of [
      { keyId: "k1", key: Buffer.alloc(16).toString("base64") },
      { keyId: "k1", key: "not base64" },
      { keyId: "has space", key: newKey() },
      { keyId: "", key: newKey() },
      { key: newKey() },
      { keyId: "k1", key: newKey(), extra: 1 },
    ]) {
      const problem = expectProblem(await setByok(enterprise.id, body), 400, "invalid_request");
      expect(JSON.stringify(problem)).not.toContain(String((body as { key?: string }).key));
    }
    expectProblem(await call("PUT", `/v1/tenants/${enterprise.id}/byok`, { body: { keyId: "k1", key: newKey() } }), 401, "unauthenticated");
    expectProblem(await call("PUT", `/v1/tenants/${enterprise.id}/byok`, { token: enterprise.key, body: { keyId: "k1", key: newKey() } }), 401, "unauthenticated");
  });

  it("makes secrets readable only with the tenant's key, leaving their ciphertexts untouched", async () => {
    expect((await write(enterprise, "before", "written-before-byok")).status).toBe(200);
    const ciphertextBefore = (await secretRow(pool, enterprise.id, "before")).ciphertext;
    const own = newKey();

    const enabled = await setByok(enterprise.id, { keyId: "acme-2026.1", key: own });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toEqual({ tenantId: enterprise.id, wrappingKeyId: "byok:acme-2026.1", rotatedAt: expect.any(String) });
    expect((await secretRow(pool, enterprise.id, "before")).ciphertext).toBe(ciphertextBefore);

    const missing = expectProblem(await read(enterprise, "before"), 400, "invalid_request");
    expect(missing.errors).toEqual([{ path: "header.x-tenant-wrapping-key", message: expect.any(String) }]);
    expectProblem(await read(enterprise, "before", newKey()), 403, "forbidden");
    expectProblem(await read(enterprise, "before", "garbage"), 400, "invalid_request");
    expect((await read(enterprise, "before", own)).body.value).toBe("written-before-byok");
    const urlSafe = own.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect((await read(enterprise, "before", urlSafe)).body.value).toBe("written-before-byok");

    expectProblem(await write(enterprise, "after", "x"), 400, "invalid_request");
    expectProblem(await write(enterprise, "after", "x", newKey()), 403, "forbidden");
    expect((await write(enterprise, "after", "written-with-byok", own)).status).toBe(200);
    expect((await read(enterprise, "after", own)).body.value).toBe("written-with-byok");

    // Names are not secret: listing and deleting need no key.
    expect((await enterprise.call("GET", "/v1/secrets")).body.data.map((s: { name: string }) => s.name)).toEqual(["after", "before"]);
    expect((await enterprise.call("DELETE", "/v1/secrets/after")).status).toBe(204);

    // Master-key rotation leaves tenant-wrapped data keys alone.
    const rotation = await admin("POST", "/v1/admin/rotate-master-key");
    expect(rotation.status).toBe(200);
    expect(rotation.body.unknownKeyIds.join(",")).not.toContain("byok:");

    // The platform keeps the tenant's key nowhere.
    const dump = await dumpEverything(pool);
    expect(dump.text).toContain("byok:acme-2026.1");
    expect(dump.text).not.toContain(own);
    expect(dump.text).not.toContain(urlSafe);
    expect(dump.text).not.toContain(Buffer.from(own, "base64").toString("hex"));

    const { rows } = await pool.query("select details from audit_events where tenant_id = $1 and action = 'tenant.updated'", [enterprise.id]);
    expect(rows.map((r) => r.details)).toContainEqual({ change: "byok_enabled", wrappingKeyId: "byok:acme-2026.1" });

    // Replacing the tenant's key needs the current one; then only the new one opens.
    const next = newKey();
    expectProblem(await setByok(enterprise.id, { keyId: "acme-2026.2", key: next }), 400, "invalid_request");
    expectProblem(await setByok(enterprise.id, { keyId: "acme-2026.2", key: next }, newKey()), 403, "forbidden");
    expect((await setByok(enterprise.id, { keyId: "acme-2026.2", key: next }, own)).body.wrappingKeyId).toBe("byok:acme-2026.2");
    expectProblem(await read(enterprise, "before", own), 403, "forbidden");
    expect((await read(enterprise, "before", next)).body.value).toBe("written-before-byok");

    // Back to the platform's master key: needs the tenant's key once more.
    expectProblem(await dropByok(enterprise.id), 400, "invalid_request");
    expectProblem(await dropByok(enterprise.id, own), 403, "forbidden");
    const dropped = await dropByok(enterprise.id, next);
    expect(dropped.status).toBe(200);
    expect(dropped.body.wrappingKeyId).toMatch(/^mk_[0-9a-f]{16}$/);
    expect((await read(enterprise, "before")).body.value).toBe("written-before-byok");
    expectProblem(await read(enterprise, "before", next), 400, "invalid_request");
    expect((await secretRow(pool, enterprise.id, "before")).ciphertext).toBe(ciphertextBefore);
  });

  it("works for a tenant that has no data key yet", async () => {
    const fresh = await activeTenant({ plan: "enterprise" });
    const own = newKey();
    expect((await setByok(fresh.id, { keyId: "first", key: own })).status).toBe(200);
    expectProblem(await write(fresh, "s", "v"), 400, "invalid_request");
    expect((await write(fresh, "s", "v", own)).status).toBe(200);
    expect((await read(fresh, "s", own)).body.value).toBe("v");
  });

  it("refuses a wrapping key from a tenant that has none of its own", async () => {
    expect((await write(pro, "plain", "v")).status).toBe(200);
    expectProblem(await read(pro, "plain", newKey()), 400, "invalid_request");
    expectProblem(await write(pro, "plain", "w", newKey()), 400, "invalid_request");
    expect((await read(pro, "plain")).body.value).toBe("v");
  });
});
