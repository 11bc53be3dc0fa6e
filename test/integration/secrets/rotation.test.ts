// Master-key rotation at the database level: the Worker's own rotation, read and write code, run
// here against the stack's Postgres with master keys this test makes up, covering the edge cases
// (concurrent batches, tampered rows, BYOK rows). The operator's path through the running Worker
// is secrets-rotation-worker.test.ts.
import { drizzle } from "drizzle-orm/node-postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "../../../src/db/client.ts";
import * as schema from "../../../src/db/schema.ts";
import { ApiError } from "../../../src/http/problem.ts";
import { newId } from "../../../src/lib/ids.ts";
import { useTenantWrappingKey } from "../../../src/secrets/byok-service.ts";
import { masterKeyRing } from "../../../src/secrets/master-keys.ts";
import { rotateMasterKeyBatch } from "../../../src/secrets/rotation.ts";
import { readSecret, storeSecret } from "../../../src/secrets/service.ts";
import { asTenant, ownerPool } from "../../support/postgres.ts";

const pool = ownerPool();
const db = drizzle(pool, { schema }) as unknown as Database;
const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
const OLD = randomKey();
const NEW = randomKey();
const before = { MASTER_KEY: OLD };
const during = { MASTER_KEY: NEW, MASTER_KEY_PREVIOUS: OLD };
const after = { MASTER_KEY: NEW };
const tenants = Array.from({ length: 7 }, () => newId("ten"));
const [byokTenant] = tenants.splice(6, 1) as [string];
const everyTenant = [...tenants, byokTenant];

const put = (env: typeof before, tenantId: string, name: string, value: string, wrappingKey?: Uint8Array) =>
  storeSecret({ db, env, tenantId, wrappingKey }, name, value);
const get = (env: typeof before, tenantId: string, name: string, wrappingKey?: Uint8Array) =>
  readSecret({ db, env, tenantId, wrappingKey }, name);

async function keyRows() {
  const { rows } = await pool.query<{ tenant_id: string; wrapping_key_id: string; wrapped_key: string; rotated_at: Date | null }>(
    "select tenant_id, wrapping_key_id, wrapped_key, rotated_at from tenant_data_keys where tenant_id = any($1)",
    [everyTenant],
  );
  return new Map(rows.map((row) => [row.tenant_id, row]));
}

async function ciphertexts() {
  const out: string[] = [];
  for (const id of everyTenant) {
    await asTenant(pool, id, async (client) => {
      const { rows } = await client.query("select name, ciphertext, iv from tenant_secrets order by name");
      for (const row of rows) out.push(`${id}/${row.name}/${row.ciphertext}/${row.iv}`);
    });
  }
  return out;
}

beforeAll(async () => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  for (const id of everyTenant) {
    await pool.query("insert into tenants (id, name, plan, status, isolation) values ($1, 'rotation-test', $2, 'suspended', 'shared')", [
      id,
      id === byokTenant ? "enterprise" : "pro",
    ]);
  }
});

afterAll(async () => {
  await pool.query("delete from tenants where id = any($1)", [everyTenant]);
  await pool.end();
  vi.restoreAllMocks();
});

describe("master key rotation", () => {
  it("re-wraps every data key in batches without touching secrets; old keys work until it completes", async () => {
    const own = crypto.getRandomValues(new Uint8Array(32));
    const oldId = (await masterKeyRing(before)).current.id;
    const newId_ = (await masterKeyRing(after)).current.id;
    for (const id of tenants) {
      await put(before, id, "exchange.key", `key-of-${id}`);
      await put(before, id, "exchange.secret", `secret-of-${id} ✓`);
    }
    await useTenantWrappingKey(db, before, byokTenant, { keyId: "own", key: own, current: undefined });
    await put(before, byokTenant, "s", "byok-value", own);
    // A row that claims the old key but was tampered with: reported, never blocks the others.
    const [broken, ...healthy] = tenants as [string, ...string[]];
    await pool.query("update tenant_data_keys set wrapped_key = 'AAAA' || substr(wrapped_key, 5) where tenant_id = $1", [broken]);

    const rowsBefore = await keyRows();
    for (const id of tenants) expect(rowsBefore.get(id)!.wrapping_key_id).toBe(oldId);
    const secretsBefore = await ciphertexts();

    // Deployed with MASTER_KEY = new, MASTER_KEY_PREVIOUS = old: old data keys still open,
    // new ones are wrapped with the new key.
    for (const id of healthy) expect((await get(during, id, "exchange.key")).value).toBe(`key-of-${id}`);
    const late = healthy.at(-1)!;
    await pool.query("delete from tenant_data_keys where tenant_id = $1", [late]);
    await put(during, late, "exchange.key", `key-of-${late}`);
    await put(during, late, "exchange.secret", `secret-of-${late} ✓`);
    expect((await keyRows()).get(late)!.wrapping_key_id).toBe(newId_);
    const secretsMid = await ciphertexts();

    // Concurrent callers share the work (SKIP LOCKED): each data key is re-wrapped exactly once.
    const reports = await Promise.all([1, 2, 3].map(() => rotateMasterKeyBatch(db, during, 2)));
    let rewrapped = reports.reduce((sum, r) => sum + r.rewrapped, 0);
    for (let calls = 0; calls < 10; calls++) {
      const report = await rotateMasterKeyBatch(db, during, 2);
      rewrapped += report.rewrapped;
      if (report.rewrapped === 0) {
        expect(report.currentKeyId).toBe(newId_);
        expect(report.previousKeyId).toBe(oldId);
        expect(report.failedTenantIds).toEqual([broken]);
        expect(report.unknownKeyIds).not.toContain(oldId);
        break;
      }
    }
    expect(rewrapped).toBe(healthy.length - 1);

    const rowsAfter = await keyRows();
    for (const id of healthy) expect(rowsAfter.get(id)!.wrapping_key_id).toBe(newId_);
    for (const id of healthy.slice(0, -1)) expect(rowsAfter.get(id)!.rotated_at).not.toBeNull();
    expect(rowsAfter.get(broken)!.wrapping_key_id).toBe(oldId);
    expect(rowsAfter.get(byokTenant)!.wrapping_key_id).toBe("byok:own");
    expect(rowsAfter.get(byokTenant)!.wrapped_key).toBe(rowsBefore.get(byokTenant)!.wrapped_key);
    expect(await ciphertexts()).toEqual(secretsMid);
    expect(secretsMid.filter((line) => !line.startsWith(`${late}/`))).toEqual(secretsBefore.filter((line) => !line.startsWith(`${late}/`)));

    // With the old key removed, every re-wrapped tenant reads as before; the old key alone opens nothing.
    for (const id of healthy) {
      expect((await get(after, id, "exchange.key")).value).toBe(`key-of-${id}`);
      expect((await get(after, id, "exchange.secret")).value).toBe(`secret-of-${id} ✓`);
      await expect(get(before, id, "exchange.key")).rejects.toMatchObject({ code: "unavailable", extras: { reason: "data_key_unavailable" } });
    }
    expect((await get(after, byokTenant, "s", own)).value).toBe("byok-value");
    const error = await get(after, broken, "exchange.key").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, extras: { reason: "data_key_unavailable" } });

    // Idempotent: nothing left to do.
    expect((await rotateMasterKeyBatch(db, during, 100)).rewrapped).toBe(0);
    expect((await rotateMasterKeyBatch(db, after, 100)).rewrapped).toBe(0);
  });
});
