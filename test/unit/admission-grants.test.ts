// An isolate's admission grants (src/edge/admission-grants.ts): when a block is asked for and how it
// grows. The runtime object's answers are given by hand here; the object's side (lease-table.ts)
// is tested in test/workerd, and the concurrency promise end to end in test/integration/edge/limits.test.ts.
import { describe, expect, it } from "vitest";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { AdmissionGrants } from "../../src/edge/admission-grants.ts";

const env = {
  RUNTIME_SHARDS: "16",
  TENANT_RUNTIME: {
    idFromName: (name: string) => name,
    get: () => ({ grant: () => new Promise(() => {}), endGrant: async () => {}, recordEdgeCounts: async () => {} }),
  },
} as unknown as Env;
const tenant = { id: "ten_a", isolation: "shared", region: null, configVersion: 1 } as unknown as TenantContext;
const defer = () => {};

/** A busy tenant's first block, of `slots`, given at `now`. */
function grantsWithBlock(slots: number, now: number): AdmissionGrants {
  const grants = new AdmissionGrants();
  expect(grants.piggyback(env, tenant, now - 10)).toBeUndefined(); // a first request: not busy yet
  const ask = grants.piggyback(env, tenant, now);
  expect(ask?.want).toBe(2);
  grants.settle(env, tenant.id, ask!.grantId, { ok: true, slots, useForMs: 500, context: tenant }, now, defer);
  return grants;
}

describe("admission grants", () => {
  it("admits up to the block's slots, then sends requests to the runtime object", () => {
    const now = Date.now();
    const grants = grantsWithBlock(2, now);
    expect(grants.take(env, tenant, defer, now + 1)).toBeDefined();
    expect(grants.take(env, tenant, defer, now + 2)).toBeDefined();
    expect(grants.take(env, tenant, defer, now + 3)).toBeUndefined();
  });

  it("grows a block found full with the next request, before half its life", () => {
    const now = Date.now();
    const grants = grantsWithBlock(2, now);
    grants.take(env, tenant, defer, now + 1);
    grants.take(env, tenant, defer, now + 2);
    expect(grants.take(env, tenant, defer, now + 3)).toBeUndefined();
    // The overflowing request goes to the runtime object and asks for twice what was wanted at once.
    const ask = grants.piggyback(env, tenant, now + 3);
    expect(ask?.want).toBe(6);
    // One ask at a time.
    expect(grants.piggyback(env, tenant, now + 4)).toBeUndefined();
  });

  it("does not ask again before half the block's life while the block suffices", () => {
    const now = Date.now();
    const grants = grantsWithBlock(4, now);
    grants.take(env, tenant, defer, now + 1);
    expect(grants.piggyback(env, tenant, now + 2)).toBeUndefined();
  });
});
