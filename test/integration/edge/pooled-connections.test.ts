// The Worker reaches PostgreSQL through a transaction-mode pooler (PgBouncer here, Neon's pooled
// endpoint in production): one server connection serves many tenants' transactions in turn. These
// attack tests check that nothing a tenant's transaction sets survives into the next one.
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { PgDialect } from "drizzle-orm/pg-core";
import { dedicatedNames } from "../../../src/storage/dedicated-names.ts";
import { tenantScopeStatement, type TenantDataScope } from "../../../src/storage/tenant-data.ts";
import { activeTenant } from "../../support/tenants.ts";

// One client: consecutive transactions from it land on a warm server connection, usually the same.
const pooled = new pg.Pool({ connectionString: inject("pooledDatabaseUrl"), max: 1 });
afterAll(() => pooled.end());

interface Seen {
  backend: number;
  role: string;
  searchPath: string;
  tenant: string | null;
}

/** The Worker's own scoping statement, rendered for node-postgres. */
function scopeTo(tenant: TenantDataScope): { text: string; values: unknown[] } {
  const query = new PgDialect().sqlToQuery(tenantScopeStatement(tenant));
  return { text: query.sql, values: query.params };
}

/** Runs a transaction and reports what it saw before running `setup` in it. */
async function transaction(setup?: { text: string; values: unknown[] }): Promise<Seen> {
  const client = await pooled.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query(
      `select pg_backend_pid() as backend, current_user as role, current_setting('search_path') as "searchPath",
              nullif(current_setting('app.tenant_id', true), '') as tenant`,
    );
    if (setup) await client.query(setup.text, setup.values);
    await client.query("commit");
    return rows[0] as Seen;
  } finally {
    client.release();
  }
}

describe("a pooled server connection carries nothing from one transaction to the next", () => {
  it("forgets the tenant, role and search_path a shared-tier transaction set", async () => {
    const a = await activeTenant({ plan: "pro" });
    expect((await a.call("PUT", "/v1/maps/pool/k", { body: "a's" })).status).toBe(200);

    const backends = new Set<number>();
    for (let round = 0; round < 20; round++) {
      const setter = await transaction(scopeTo({ id: a.id, isolation: "shared" }));
      const next = await transaction();
      backends.add(setter.backend);
      if (next.backend !== setter.backend) continue;
      // Same server connection, next transaction: the owner role again, no tenant, default path.
      expect(next.role).toBe("tenantry");
      expect(next.tenant).toBeNull();
      expect(next.searchPath).toBe(setter.searchPath);
      return;
    }
    throw new Error(`never saw two consecutive transactions on one server connection (${backends.size} backends)`);
  });

  it("shows the app role no rows of a tenant whose transaction ran just before on the same connection", async () => {
    const a = await activeTenant({ plan: "pro" });
    expect((await a.call("PUT", "/v1/maps/pool/k", { body: "a's" })).status).toBe(200);

    for (let round = 0; round < 20; round++) {
      const setter = await transaction(scopeTo({ id: a.id, isolation: "shared" }));
      const client = await pooled.connect();
      try {
        await client.query("begin");
        await client.query("select set_config('role', 'tenantry_app', true)");
        const { rows } = await client.query("select pg_backend_pid() as backend, (select count(*)::int from map_records) as visible");
        await client.query("commit");
        if (rows[0].backend !== setter.backend) continue;
        expect(rows[0].visible).toBe(0);
        return;
      } finally {
        client.release();
      }
    }
    throw new Error("never saw two consecutive transactions on one server connection");
  });

  it("leaves no dedicated tenant's role or schema on the connection", async () => {
    const d = await activeTenant({ plan: "enterprise" });
    expect((await d.call("PUT", "/v1/maps/pool/k", { body: "d's" })).status).toBe(200);
    const { schema } = dedicatedNames(d.id);

    for (let round = 0; round < 20; round++) {
      const setter = await transaction(scopeTo({ id: d.id, isolation: "dedicated" }));
      const next = await transaction();
      if (next.backend !== setter.backend) continue;
      expect(next.role).toBe("tenantry");
      expect(next.searchPath).not.toContain(schema);
      return;
    }
    throw new Error("never saw two consecutive transactions on one server connection");
  });
});
