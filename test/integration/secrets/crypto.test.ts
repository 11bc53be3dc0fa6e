import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { admin, adminToken, baseUrl, call, createTenant, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";
import { dumpEverything, secretRow, writeSecretRow } from "../../support/secrets-db.ts";
import { asTenant, ownerPool } from "../../support/postgres.ts";

const pool = ownerPool();

afterAll(async () => {
  await pool.end();
});

const put = (tenant: ActiveTenant, name: string, value: string) => tenant.call("PUT", `/v1/secrets/${name}`, { body: { value } });

function flip(base64: string, index: number): string {
  const bytes = Buffer.from(base64, "base64");
  bytes[index % bytes.length]! ^= 0x80;
  return bytes.toString("base64");
}

async function dataKeyRow(tenantId: string) {
  const { rows } = await pool.query<{ wrapped_key: string; wrapping_key_id: string }>(
    "select wrapped_key, wrapping_key_id from tenant_data_keys where tenant_id = $1",
    [tenantId],
  );
  return rows[0];
}

function expectIntegrityFailure(response: Awaited<ReturnType<typeof call>>, reason: string) {
  const problem = expectProblem(response, 503, "unavailable");
  expect(problem.reason).toBe(reason);
  expect(response.text).not.toMatch(/ciphertext|wrapped_key|mk_/);
}

describe("what a database dump holds", () => {
  it("contains no plaintext secret value and no plaintext API key in any table", async () => {
    const [pro, enterprise] = await Promise.all([activeTenant({ plan: "pro" }), activeTenant({ plan: "enterprise" })]);
    // A create replayable by Idempotency-Key keeps its response (with the key) for 24 h: encrypted.
    const replayable = await createTenant({ name: "dump-idem", plan: "pro" }, { "Idempotency-Key": `dump-${crypto.randomUUID()}` });
    const extraKey = await admin("POST", `/v1/tenants/${pro.id}/keys`, { body: { name: "second", scopes: ["read"] } });
    expect(extraKey.status).toBe(201);

    const marker = crypto.randomUUID().replaceAll("-", "");
    const values = new Map<ActiveTenant, Record<string, string>>([
      [pro, { "binance.api_key": `BNB-${marker}-key`, "binance.api_secret": `秘密-${marker}-ключ` }],
      [enterprise, { "kraken.private": `KRK-${marker}-private`, "webhook_secret": `whsec_${marker}` }],
    ]);
    for (const [tenant, secrets] of values) {
      for (const [name, value] of Object.entries(secrets)) expect((await put(tenant, name, value)).status).toBe(200);
      for (const [name, value] of Object.entries(secrets)) expect((await tenant.call("GET", `/v1/secrets/${name}`)).body.value).toBe(value);
    }

    const dump = await dumpEverything(pool);
    expect(dump.tables).toEqual(expect.arrayContaining(["public.tenant_secrets", "public.tenant_data_keys", "public.api_keys", "public.audit_events"]));
    // The dump really sees the secret rows (names are not secret), so its silence below means something.
    const secretRows = dump.text.split("\n").filter((line) => line.startsWith('"public"."tenant_secrets" '));
    for (const [tenant, secrets] of values) {
      for (const name of Object.keys(secrets)) {
        expect(secretRows.some((line) => line.includes(`{"tenant_id":"${tenant.id}","name":"${name}","ciphertext":"`))).toBe(true);
      }
    }

    for (const secrets of values.values()) {
      for (const value of Object.values(secrets)) {
        expect(dump.text).not.toContain(value);
        expect(dump.text).not.toContain(Buffer.from(value).toString("base64"));
      }
    }
    expect(dump.text).not.toContain(marker);
    const apiKeys = [pro.key, enterprise.key, replayable.apiKey.key, extraKey.body.key as string];
    for (const key of apiKeys) {
      expect(key).toMatch(/^tk_/);
      expect(dump.text).not.toContain(key);
      expect(dump.text).not.toContain(key.slice(3));
    }
  });
});

describe("tampering and misplaced ciphertexts", () => {
  it("answers 503 unavailable (reason secret_integrity) for a tampered ciphertext or IV, and recovers when restored", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "target", "tamper-me")).status).toBe(200);
    const original = await secretRow(pool, t.id, "target");

    await writeSecretRow(pool, { ...original, ciphertext: flip(original.ciphertext, 3) });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/target"), "secret_integrity");

    // The GCM tag is the ciphertext's last 16 bytes.
    await writeSecretRow(pool, { ...original, ciphertext: flip(original.ciphertext, Buffer.from(original.ciphertext, "base64").length - 1) });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/target"), "secret_integrity");

    await writeSecretRow(pool, { ...original, iv: flip(original.iv, 0) });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/target"), "secret_integrity");

    await writeSecretRow(pool, { ...original, ciphertext: "not base64 at all!" });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/target"), "secret_integrity");

    await writeSecretRow(pool, { ...original, key_version: original.key_version + 1 });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/target"), "secret_integrity");

    await writeSecretRow(pool, original);
    expect((await t.call("GET", "/v1/secrets/target")).body.value).toBe("tamper-me");
    // Listing and deleting never decrypt: a corrupted secret can still be seen and removed.
    await writeSecretRow(pool, { ...original, ciphertext: flip(original.ciphertext, 3) });
    expect((await t.call("GET", "/v1/secrets")).body.data.map((s: { name: string }) => s.name)).toContain("target");
    expect((await put(t, "target", "rewritten")).status).toBe(200);
    expect((await t.call("GET", "/v1/secrets/target")).body.value).toBe("rewritten");
  });

  it("does not decrypt a ciphertext copied to another name of the same tenant", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "source", "only-for-source")).status).toBe(200);
    expect((await put(t, "decoy", "decoy")).status).toBe(200);
    const source = await secretRow(pool, t.id, "source");
    await writeSecretRow(pool, { ...source, name: "decoy" });
    await writeSecretRow(pool, { ...source, name: "brand-new" });
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/decoy"), "secret_integrity");
    expectIntegrityFailure(await t.call("GET", "/v1/secrets/brand-new"), "secret_integrity");
    expect((await t.call("GET", "/v1/secrets/source")).body.value).toBe("only-for-source");
  });

  it("does not decrypt a ciphertext copied to another tenant, under the same name", async () => {
    const [victim, attacker] = await Promise.all([activeTenant({ plan: "pro" }), activeTenant({ plan: "pro" })]);
    expect((await put(victim, "exchange.key", "victim-secret")).status).toBe(200);
    expect((await put(attacker, "exchange.key", "attacker-own")).status).toBe(200);
    const stolen = await secretRow(pool, victim.id, "exchange.key");
    await writeSecretRow(pool, { ...stolen, tenant_id: attacker.id });
    const response = await attacker.call("GET", "/v1/secrets/exchange.key");
    expectIntegrityFailure(response, "secret_integrity");
    expect(response.text).not.toContain("victim-secret");
  });

  it("does not unwrap a data key copied to another tenant (tenant id bound), nor a tampered one", async () => {
    const [victim, attacker] = await Promise.all([activeTenant({ plan: "pro" }), activeTenant({ plan: "pro" })]);
    expect((await put(victim, "k", "victim-secret")).status).toBe(200);
    expect((await put(attacker, "k", "attacker-own")).status).toBe(200);
    const victimKey = await dataKeyRow(victim.id);
    const attackerKey = await dataKeyRow(attacker.id);
    // With the victim's data key and the victim's ciphertext, under the attacker's tenant id.
    await pool.query("update tenant_data_keys set wrapped_key = $1 where tenant_id = $2", [victimKey!.wrapped_key, attacker.id]);
    await writeSecretRow(pool, { ...(await secretRow(pool, victim.id, "k")), tenant_id: attacker.id });
    expectIntegrityFailure(await attacker.call("GET", "/v1/secrets/k"), "data_key_unavailable");
    expectIntegrityFailure(await attacker.call("PUT", "/v1/secrets/k2", { body: { value: "v" } }), "data_key_unavailable");

    await pool.query("update tenant_data_keys set wrapped_key = $1 where tenant_id = $2", [flip(victimKey!.wrapped_key, 20), victim.id]);
    expectIntegrityFailure(await victim.call("GET", "/v1/secrets/k"), "data_key_unavailable");
    await pool.query("update tenant_data_keys set wrapped_key = $1 where tenant_id = $2", [victimKey!.wrapped_key, victim.id]);
    expect((await victim.call("GET", "/v1/secrets/k")).body.value).toBe("victim-secret");
    expect(attackerKey!.wrapped_key).not.toBe(victimKey!.wrapped_key);
  });
});

describe("master keys and rotation", () => {
  const rotate = (body?: unknown) => admin("POST", "/v1/admin/rotate-master-key", body === undefined ? {} : { body });

  it("records the wrapping master key by id, and the rotation route needs the admin token", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "x", "y")).status).toBe(200);
    const row = await dataKeyRow(t.id);
    expect(row!.wrapping_key_id).toMatch(/^mk_[0-9a-f]{16}$/);

    expectProblem(await call("POST", "/v1/admin/rotate-master-key"), 401, "unauthenticated");
    expectProblem(await call("POST", "/v1/admin/rotate-master-key", { token: t.key }), 401, "unauthenticated");
    for (const body of [{ batchSize: 0 }, { batchSize: 1001 }, { batchSize: "10" }, { batchSize: 10, extra: true }]) {
      expectProblem(await rotate(body), 400, "invalid_request");
    }

    const report = await rotate();
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ currentKeyId: row!.wrapping_key_id, previousKeyId: null, rewrapped: 0, failedTenantIds: [] });
    expect(report.body.unknownKeyIds).not.toContain(row!.wrapping_key_id);
    expect((await rotate({ batchSize: 5 })).body).toEqual(report.body);
  });

  it("reports data keys wrapped by a master key this deployment lacks, which answer 503 until it is back", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "exchange", "still-mine")).status).toBe(200);
    const row = await dataKeyRow(t.id);
    const before = (await rotate()).body;
    const retired = "mk_00000000deadbeef";
    await pool.query("update tenant_data_keys set wrapping_key_id = $1 where tenant_id = $2", [retired, t.id]);
    try {
      const response = await t.call("GET", "/v1/secrets/exchange");
      expectIntegrityFailure(response, "data_key_unavailable");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expectIntegrityFailure(await t.call("PUT", "/v1/secrets/other", { body: { value: "v" } }), "data_key_unavailable");
      expect((await t.call("GET", "/v1/secrets")).status).toBe(200);
      const report = (await rotate()).body;
      expect(report.unknownKeyIds).toContain(retired);
      expect(report.remaining).toBe(before.remaining + 1);
      expect(report.rewrapped).toBe(0);
    } finally {
      await pool.query("update tenant_data_keys set wrapping_key_id = $1 where tenant_id = $2", [row!.wrapping_key_id, t.id]);
    }
    expect((await t.call("GET", "/v1/secrets/exchange")).body.value).toBe("still-mine");
    expect((await rotate()).body.unknownKeyIds).not.toContain(retired);
  });

  it("has a script that calls the route until nothing is left (exit 0 here: one master key, all current)", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/rotate-master-key.ts", "--batch-size", "50"],
      { env: { ...process.env, TENANTRY_URL: baseUrl(), ADMIN_TOKEN: adminToken() }, timeout: 20_000 },
    );
    expect(stdout).toMatch(/re-wrapped 0 \(total 0\) under mk_[0-9a-f]{16}; 0 remaining/);
    expect(stdout).toContain("MASTER_KEY_PREVIOUS may be removed");
  });
});

describe("lifecycle", () => {
  it("removes a tenant's data key and secrets with its hard delete", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await put(t, "gone-soon", "v")).status).toBe(200);
    const deleted = await admin("DELETE", `/v1/tenants/${t.id}?hard=true`);
    expect(deleted.status).toBe(202);
    const left = async () => ({
      keys: (await pool.query("select count(*)::int as n from tenant_data_keys where tenant_id = $1", [t.id])).rows[0].n,
      secrets: await asTenant(pool, t.id, async (c) => (await c.query("select count(*)::int as n from tenant_secrets")).rows[0].n),
    });
    const deadline = Date.now() + 20_000;
    let state = await left();
    while ((state.keys > 0 || state.secrets > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await left();
    }
    expect(state).toEqual({ keys: 0, secrets: 0 });
  });
});
