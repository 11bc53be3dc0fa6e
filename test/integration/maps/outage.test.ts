// A map read or write goes to Postgres as one HTTP batch sent by the Neon driver (queryTenantData):
// while Postgres is down it answers a 503 problem with Retry-After, and works again by itself.
import { describe, expect, it } from "vitest";
import { control, eventually, expectProblem } from "../../support/api.ts";
import { recordPath, tenantOn, TIERS } from "../../support/maps.ts";

describe.each(TIERS)("Maps while Postgres is down, $tier tier", ({ tier }) => {
  it("answers GET, PUT and DELETE with 503 and Retry-After, and recovers by itself", async () => {
    const t = await tenantOn(tier);
    expect((await t.call("PUT", recordPath("outage", "k"), { body: { v: 1 } })).status).toBe(200);
    await control("postgres/stop");
    try {
      for (const [method, body] of [["GET", undefined], ["PUT", { v: 2 }], ["DELETE", undefined]] as const) {
        const down = await t.call(method, recordPath("outage", "k"), body === undefined ? {} : { body });
        expectProblem(down, 503, "unavailable");
        expect(Number(down.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await control("postgres/start");
    }
    await eventually(async () => (await t.call("GET", recordPath("outage", "k"))).status === 200);
    const read = await t.call("GET", recordPath("outage", "k"));
    expect(read.body.value).toEqual({ v: 1 });
  });
});
