import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { currentSpec, sdkFiles } from "../../scripts/sdk/openapi-spec.ts";

describe("@tenantry/sdk generated files", () => {
  it("match the spec the Worker serves (run `npm run sdk:generate` after changing a route)", async () => {
    const expected = await sdkFiles(await currentSpec());
    const [spec, types] = await Promise.all([readFile("sdk/openapi.json", "utf8"), readFile("sdk/src/schema.ts", "utf8")]);
    expect(spec, "sdk/openapi.json is stale").toBe(expected.spec);
    expect(types, "sdk/src/schema.ts is stale").toBe(expected.types);
  });
});
