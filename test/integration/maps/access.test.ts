import { describe, expect, it } from "vitest";
import { admin, call, eventually, expectProblem } from "../../support/api.ts";
import { readOnlyKey, recordPath, tenantOn, TIERS } from "../../support/maps.ts";

describe.each(TIERS)("Maps access rules on the $tier tier", ({ tier }) => {
  it("lets a read-scoped key read everything and write nothing (403 forbidden)", async () => {
    const t = await tenantOn(tier);
    await t.call("PUT", recordPath("shared", "k"), { body: "original" });
    const reader = await readOnlyKey(t.id);
    const as = (method: string, path: string, body?: unknown) => call(method, path, { token: reader, ...(body === undefined ? {} : { body }) });

    expect((await as("GET", recordPath("shared", "k"))).body.value).toBe("original");
    expect((await as("GET", "/v1/maps/shared")).body.data).toHaveLength(1);
    expect((await as("GET", "/v1/maps")).body.data).toEqual([{ name: "shared", count: 1, bytes: expect.any(Number) }]);
    expectProblem(await as("PUT", recordPath("shared", "k"), "changed"), 403, "forbidden");
    expectProblem(await as("PUT", recordPath("new", "k"), 1), 403, "forbidden");
    expectProblem(await as("DELETE", recordPath("shared", "k")), 403, "forbidden");
    expect((await t.call("GET", recordPath("shared", "k"))).body).toMatchObject({ value: "original", version: 1 });
    expect((await t.call("GET", "/v1/maps")).body.data.map((map: { name: string }) => map.name)).toEqual(["shared"]);
  });

  it("keeps a suspended tenant readable and refuses its writes with 403 tenant_suspended, until it is resumed", async () => {
    const t = await tenantOn(tier);
    await t.call("PUT", recordPath("notes", "k"), { body: 1 });
    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "suspended" } })).status).toBe(200);
    // If-Match on a key that does not exist: a probe that is refused (403) or fails (412) but never writes.
    const probe = () => t.call("PUT", recordPath("probe", "absent"), { body: 0, headers: { "If-Match": '"1"' } });
    await eventually(async () => (await probe()).status === 403, 5_000, 100);

    expectProblem(await t.call("PUT", recordPath("notes", "k"), { body: 2 }), 403, "tenant_suspended");
    expectProblem(await t.call("PUT", recordPath("notes", "new"), { body: 2 }), 403, "tenant_suspended");
    expectProblem(await t.call("DELETE", recordPath("notes", "k")), 403, "tenant_suspended");
    expect((await t.call("GET", recordPath("notes", "k"))).body).toMatchObject({ value: 1, version: 1 });
    expect((await t.call("GET", "/v1/maps/notes")).body.data).toHaveLength(1);
    expect((await t.call("GET", "/v1/maps")).status).toBe(200);

    expect((await admin("PATCH", `/v1/tenants/${t.id}`, { body: { status: "active" } })).status).toBe(200);
    await eventually(async () => (await probe()).status === 412, 5_000, 100);
    expect((await t.call("PUT", recordPath("notes", "k"), { body: 3 })).status).toBe(200);
    expect((await t.call("GET", recordPath("notes", "k"))).body).toMatchObject({ value: 3, version: 2 });
  });

  it("answers 401 without a credential, before looking at the address", async () => {
    expectProblem(await call("GET", recordPath("m", "k")), 401, "unauthenticated");
    expectProblem(await call("PUT", "/v1/maps/bad.name/%ZZ", { body: 1 }), 401, "unauthenticated");
    expectProblem(await call("GET", "/v1/maps", { token: "tk_notarealkeyatall1234567890" }), 401, "unauthenticated");
  });
});
