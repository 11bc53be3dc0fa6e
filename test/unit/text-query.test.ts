// Statements written once as text run through drizzle too (src/db/text-query.ts): the same text,
// the same parameters, on both paths.
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { textToSql } from "../../src/db/text-query.ts";
import { deleteQuery, putQuery } from "../../src/storage/maps/write-statements.ts";
import { tenantScopeQuery, tenantScopeStatement } from "../../src/storage/tenant-data.ts";

const dialect = new PgDialect();
const built = (statement: ReturnType<typeof textToSql>) => {
  const { sql, params } = dialect.sqlToQuery(statement);
  return { sql, params };
};
const id = "ten_01m911vtctrty2y3xrjy84b245";

describe("statements written as text", () => {
  it("turn into drizzle SQL with the same text and the same parameters in order", () => {
    const query = { text: "select $2::int + $1::int as sum, $3 as label, $1 as again", params: [1, 2, null] };
    expect(built(textToSql(query))).toEqual({ sql: "select $1::int + $2::int as sum, $3 as label, $4 as again", params: [2, 1, null, 1] });
    for (const statement of [putQuery({ tenantId: id, map: "m", key: "k" }, { json: '{"a":1}', bytes: 8 }, { maxMaps: 5, maxStorageBytes: null }, { kind: "versions", versions: [3, 4] }), deleteQuery({ tenantId: id, map: "m", key: "k" })]) {
      expect(built(textToSql(statement))).toEqual({ sql: statement.text, params: statement.params });
    }
  });

  it("scope a transaction alike on both paths, on both tiers", () => {
    const shared = tenantScopeQuery({ id, isolation: "shared" });
    expect(shared.params).toEqual(["tenantry_app", "public", id]);
    expect(built(tenantScopeStatement({ id, isolation: "shared" }))).toEqual({ sql: shared.text, params: shared.params });
    const dedicated = tenantScopeQuery({ id, isolation: "dedicated" });
    expect(dedicated.params).toEqual(["t_01m911vtctrty2y3xrjy84b245_rw", "t_01m911vtctrty2y3xrjy84b245", id]);
    expect(built(tenantScopeStatement({ id, isolation: "dedicated" }))).toEqual({ sql: dedicated.text, params: dedicated.params });
  });
});
