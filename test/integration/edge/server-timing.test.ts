import { beforeAll, describe, expect, it } from "vitest";
import { admin, call } from "../../support/api.ts";
import { recordPath, tenantOn, TIERS } from "../../support/maps.ts";
import type { ActiveTenant } from "../../support/tenants.ts";

const DUR = String.raw`\d+(?:\.\d)?`;

/** `name;dur=…` entries (and `db-rt;desc=…`) in order, per contract v1.1. */
function timingOf(header: string | null): Array<[string, string]> {
  expect(header, "Server-Timing").not.toBeNull();
  return header!.split(", ").map((entry) => {
    const match = new RegExp(`^([a-z-]+);(?:dur=(${DUR})|desc=(\\d+))$`).exec(entry);
    expect(match, `entry "${entry}" of "${header}"`).not.toBeNull();
    return [match![1]!, match![2] ?? match![3]!];
  });
}

const names = (entries: Array<[string, string]>) => entries.map(([name]) => name);
const valueOf = (entries: Array<[string, string]>, name: string) => entries.find(([entry]) => entry === name)?.[1];

describe.each(TIERS)("Server-Timing on the $tier tier", ({ tier }) => {
  let t: ActiveTenant;
  beforeAll(async () => {
    t = await tenantOn(tier);
    expect((await t.call("PUT", recordPath("timing", "k"), { body: { v: 1 } })).status).toBe(200);
  });

  it("a cached-tenant map read lists every phase and makes one database round trip", async () => {
    await t.call("GET", recordPath("timing", "k")); // tenant and credential now cached in the isolate
    const read = await t.call("GET", recordPath("timing", "k"));
    expect(read.status).toBe(200);
    const timing = timingOf(read.headers.get("server-timing"));
    expect(names(timing)).toEqual(["auth", "limits", "admit", "db", "db-rt", "total"]);
    expect(valueOf(timing, "db-rt")).toBe("1");
    expect(read.headers.get("x-round-trips")).toMatch(/^db=1, upstash=\d+, runtime=\d+, runtime-overlapped=\d+, upstash-ahead=\d+$/);
  });

  it("a read after a change to the tenant loads its context from Postgres in one round trip", async () => {
    await t.call("GET", recordPath("timing", "k"));
    // The change makes every cached copy stale (Upstash's by its generation, the isolate's within 1 s).
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { metadata: { touched: String(Date.now()) } } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const read = await t.call("GET", recordPath("timing", "k"));
    expect(read.status).toBe(200);
    // The context (the credential's record is unchanged and still cached) and the read itself.
    expect(valueOf(timingOf(read.headers.get("server-timing")), "db-rt")).toBe("2");
    expect(read.headers.get("x-round-trips")).toMatch(/^db=2, /);
  });

  it("a map write — PUT, PUT with If-Match, DELETE, with or without If-Match — makes one database round trip", async () => {
    const oneTrip = (response: { headers: Headers }, what: string) => {
      const timing = timingOf(response.headers.get("server-timing"));
      expect(names(timing), what).toEqual(["auth", "limits", "admit", "db", "db-rt", "total"]);
      expect(valueOf(timing, "db-rt"), what).toBe("1");
      expect(response.headers.get("x-round-trips"), what).toMatch(/^db=1, /);
    };
    const created = await t.call("PUT", recordPath("timing", "fresh"), { body: { v: 1 } });
    expect(created.status).toBe(200);
    oneTrip(created, "PUT creating");
    const updated = await t.call("PUT", recordPath("timing", "k"), { body: { v: 2 } });
    expect(updated.status).toBe(200);
    oneTrip(updated, "PUT updating");
    const etag = updated.headers.get("etag")!;
    const conditional = await t.call("PUT", recordPath("timing", "k"), { body: { v: 3 }, headers: { "If-Match": etag } });
    expect(conditional.status).toBe(200);
    oneTrip(conditional, "PUT with If-Match");
    const stale = await t.call("PUT", recordPath("timing", "k"), { body: { v: 4 }, headers: { "If-Match": etag } });
    expect(stale.status).toBe(412);
    oneTrip(stale, "PUT with a stale If-Match");
    const removed = await t.call("DELETE", recordPath("timing", "fresh"));
    expect(removed.status).toBe(204);
    oneTrip(removed, "DELETE");
    const removedIf = await t.call("DELETE", recordPath("timing", "k"), { headers: { "If-Match": conditional.headers.get("etag")! } });
    expect(removedIf.status).toBe(204);
    oneTrip(removedIf, "DELETE with If-Match");
    expect((await t.call("GET", recordPath("timing", "k"))).status).toBe(404);
  });
});

describe("Server-Timing leaves out what did not run", () => {
  it("a request that never touches the database has no db entry", async () => {
    const t = await tenantOn("shared");
    await t.call("GET", "/v1/me"); // the first call looks the key up; the next finds it cached
    const me = await t.call("GET", "/v1/me");
    expect(me.status).toBe(200);
    expect(names(timingOf(me.headers.get("server-timing")))).toEqual(["auth", "limits", "admit", "total"]);
  });

  it("a refused credential stops after auth", async () => {
    const refused = await call("GET", "/v1/me", { token: "tk_nonsense" });
    expect(refused.status).toBe(401);
    expect(names(timingOf(refused.headers.get("server-timing")))).toEqual(["auth", "total"]);
  });
});
