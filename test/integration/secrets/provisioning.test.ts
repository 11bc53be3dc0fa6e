import { afterAll, describe, expect, it } from "vitest";
import { activeTenant } from "../../support/tenants.ts";
import { ownerPool } from "../../support/postgres.ts";

const pool = ownerPool();
afterAll(() => pool.end());

describe("provisioning", () => {
  it("gives every tenant its own wrapped data key before any secret is stored", async () => {
    const a = await activeTenant({ plan: "pro" });
    const b = await activeTenant({ plan: "enterprise" });
    const rows = (
      await pool.query<{ tenant_id: string; wrapped_key: string; wrapping_key_id: string }>(
        "select tenant_id, wrapped_key, wrapping_key_id from tenant_data_keys where tenant_id = any($1)",
        [[a.id, b.id]],
      )
    ).rows;
    expect(rows.map((row) => row.tenant_id).sort()).toEqual([a.id, b.id].sort());
    expect(rows[0]!.wrapped_key).not.toBe(rows[1]!.wrapped_key);
    for (const row of rows) expect(row.wrapping_key_id).toMatch(/^mk_[0-9a-f]{16}$/);
  });
});
