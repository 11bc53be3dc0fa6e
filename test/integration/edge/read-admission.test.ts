// Map reads go to the database beside the runtime object's admission, not after it: the runtime
// object still decides, and a refused read's answer never reaches the caller. Once a tenant is busy
// an isolate admits with its grant (src/edge/admission-grants.ts), and no runtime-object trip is made.
import { describe, expect, it } from "vitest";
import { admin, expectProblem, testHooks } from "../../support/api.ts";
import { activeTenant } from "../../support/tenants.ts";
import { flushedUsageTotals } from "../../support/control-plane.ts";

const roundTrips = (header: string | null) => Object.fromEntries((header ?? "").split(", ").map((entry) => entry.split("=")).map(([name, count]) => [name, Number(count)]));

describe("a map read overlaps its admission", () => {
  it("makes its runtime-object round trip beside the database's, while a write waits for admission first", async () => {
    // A limit under 8 gets no admission grant: every request goes to the runtime object.
    const t = await activeTenant({ plan: "pro", overrides: { maxConcurrentRequests: 4 } });
    expect((await t.call("PUT", "/v1/maps/m/k", { body: 1 })).status).toBe(200);
    const read = await t.call("GET", "/v1/maps/m/k");
    expect(read.status).toBe(200);
    expect(roundTrips(read.headers.get("x-round-trips"))).toMatchObject({ db: 1, runtime: 0, "runtime-overlapped": 1 });
    const written = await t.call("PUT", "/v1/maps/m/k", { body: 2 });
    expect(roundTrips(written.headers.get("x-round-trips"))).toMatchObject({ runtime: 1, "runtime-overlapped": 0 });
  });

  it("admits a busy tenant's reads and writes with the isolate's grant: no runtime-object round trip at all", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { maxConcurrentRequests: 100 } });
    // The first request finds the tenant sparse (no block asked); the second, right after, asks for one.
    for (let i = 0; i < 2; i++) {
      const admitted = await t.call("PUT", "/v1/maps/m/k", { body: 1 });
      expect(roundTrips(admitted.headers.get("x-round-trips"))).toMatchObject({ runtime: 1 });
    }
    const read = await t.call("GET", "/v1/maps/m/k");
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({ value: 1 });
    expect(roundTrips(read.headers.get("x-round-trips"))).toMatchObject({ db: 1, runtime: 0, "runtime-overlapped": 0 });
    const written = await t.call("PUT", "/v1/maps/m/k", { body: 2 });
    expect(written.status).toBe(200);
    expect(roundTrips(written.headers.get("x-round-trips"))).toMatchObject({ db: 1, runtime: 0, "runtime-overlapped": 0 });
    // Every request still counts, exactly.
    expect((await flushedUsageTotals(t)).requests).toBe(4);
  });

  it("grows a block that requests found full with the next request the runtime object admits, before half its life", async () => {
    // Dedicated: its runtime object is its own, so no other test's leases share the shard's seats.
    const t = await activeTenant({ plan: "enterprise", overrides: { maxConcurrentRequests: 100 } });
    // A first block, of 2 slots: the second request finds the tenant busy and asks for one.
    for (let i = 0; i < 2; i++) expect((await t.call("GET", "/v1/me")).status).toBe(200);
    const wave = (holdMs: number) =>
      Promise.all(Array.from({ length: 8 }, () => t.call("GET", "/v1/me", { headers: testHooks({ "X-Test-Hold-Ms": String(holdMs) }) })));
    const toObject = (answers: Awaited<ReturnType<typeof wave>>) => answers.filter((answer) => roundTrips(answer.headers.get("x-round-trips")).runtime > 0).length;
    // Eight at once: two with the block, the rest through the runtime object, the first of which
    // asks for a block twice what was wanted at once (6); the next wave's overflow grows it again.
    const first = await wave(60);
    expect(first.every((answer) => answer.status === 200)).toBe(true);
    expect(toObject(first)).toBeGreaterThan(0);
    await wave(20);
    // Still well within the first block's 250 ms (when it would be renewed): all eight with the grown block.
    const third = await wave(20);
    expect(third.every((answer) => answer.status === 200)).toBe(true);
    expect(toObject(third)).toBe(0);
    expect((await flushedUsageTotals(t)).requests).toBe(26);
  });

  it("admits a sparse tenant request by request: requests far apart get no block", async () => {
    const t = await activeTenant({ plan: "pro", overrides: { maxConcurrentRequests: 100 } });
    expect((await t.call("PUT", "/v1/maps/m/k", { body: 1 })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const read = await t.call("GET", "/v1/maps/m/k");
      expect(read.status).toBe(200);
      expect(roundTrips(read.headers.get("x-round-trips"))).toMatchObject({ db: 1, runtime: 0, "runtime-overlapped": 1 });
    }
    expect((await flushedUsageTotals(t)).requests).toBe(4);
  });

  it("answers the runtime object's refusal, not the read, when the tenant is at its concurrency limit", async () => {
    const t = await activeTenant({ plan: "free", overrides: { maxConcurrentRequests: 1, burst: 100, requestsPerSecond: 100 } });
    expect((await t.call("PUT", "/v1/maps/m/k", { body: { secret: true } })).status).toBe(200);
    const holding = t.call("GET", "/v1/me", { headers: testHooks({ "X-Test-Hold-Ms": "1500" }) });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const refused = await t.call("GET", "/v1/maps/m/k");
    expectProblem(refused, 429, "concurrency_limited");
    expect(refused.text).not.toContain("secret");
    expect((await holding).status).toBe(200);
    expect((await t.call("GET", "/v1/maps/m/k")).status).toBe(200);
  });

  it("answers 401 for a deleted tenant's read even while its isolate still caches the tenant", async () => {
    const t = await activeTenant({ plan: "pro" });
    expect((await t.call("PUT", "/v1/maps/m/k", { body: "gone" })).status).toBe(200);
    expect((await t.call("GET", "/v1/maps/m/k")).status).toBe(200);
    expect((await admin("DELETE", `/v1/tenants/${t.id}`)).status).toBeLessThan(300);
    const after = await t.call("GET", "/v1/maps/m/k");
    expect(after.status).toBe(401);
    expect(after.text).not.toContain("gone");
  });
});
