// The tenant-scoping statement exists twice: as drizzle SQL (interactive transactions, batches) and
// as text for the hot read path (src/storage/tenant-data.ts). They must stay the same statement.
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { TENANT_SCOPE_TEXT, tenantScopeStatement } from "../../src/storage/tenant-data.ts";

describe("tenant scope statement", () => {
  it("is the same text with the same parameters on both paths, on both tiers", () => {
    const dialect = new PgDialect();
    const id = "ten_01m911vtctrty2y3xrjy84b245";
    const shared = dialect.sqlToQuery(tenantScopeStatement({ id, isolation: "shared" }));
    expect(shared.sql).toBe(TENANT_SCOPE_TEXT);
    expect(shared.params).toEqual(["tenantry_app", "public", id]);
    const dedicated = dialect.sqlToQuery(tenantScopeStatement({ id, isolation: "dedicated" }));
    expect(dedicated.sql).toBe(TENANT_SCOPE_TEXT);
    expect(dedicated.params).toEqual(["t_01m911vtctrty2y3xrjy84b245_rw", "t_01m911vtctrty2y3xrjy84b245", id]);
  });
});
