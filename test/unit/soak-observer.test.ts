import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Reply } from "../../scripts/soak/client.ts";
import { Observer } from "../../scripts/soak/observer.ts";

const reply = (status: number | null, code?: string): Reply => ({ status, body: undefined, retryAfter: status === 503 ? "1" : null, ...(code ? { code } : {}) });

describe("soak observer: recovery after a fault", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  const at = (ms: number) => vi.setSystemTime(1_000_000 + ms);

  it("measures from the dependency's return to the lane's first 2xx, and to its first answer that was not a failure", () => {
    const observer = new Observer();
    const window = observer.faultStarted("postgres-kill");
    at(500);
    observer.record(0, "t1", "read", reply(503, "unavailable"), "GET /v1/maps/soak/k0", 1_000_000);
    at(3000);
    window.back = Date.now();
    // Served (the key is absent) but not a 2xx: the lane is served again, not yet recovered by the promise's measure.
    at(3400);
    observer.record(0, "t1", "read", reply(404, "not_found"), "GET /v1/maps/soak/k1", 1_003_300);
    at(9000);
    observer.record(0, "t1", "read", reply(200), "GET /v1/maps/soak/k2", 1_008_900);
    expect(window.served).toEqual([400]);
    expect(window.recoveries).toEqual([6000]);
    // Slower than 3 s: the lane's calls since the fault started are kept, timed from the return.
    expect(window.slow).toHaveLength(1);
    expect(window.slow[0]).toContain("lane 0 after postgres-kill (down 3.0 s), recovered in 6.0 s");
    expect(window.slow[0]).toContain("+0.3 GET /v1/maps/soak/k1 → 404 not_found (0.1 s)");
  });

  it("counts a lane that never recovers as the cap, and a lane that never failed not at all", () => {
    const observer = new Observer();
    const window = observer.faultStarted("redis-kill");
    observer.record(1, "t1", "read", reply(null), "GET /v1/maps/soak/k0");
    observer.record(2, "t2", "read", reply(200), "GET /v1/maps/soak/k0");
    window.back = Date.now();
    observer.closeWindows();
    expect(window.recoveries).toEqual([30_000]);
    expect(window.served).toEqual([30_000]);
  });

  it("does not take a tenant still provisioning (503 tenant_not_ready) for a failure the fault caused", () => {
    const observer = new Observer();
    const window = observer.faultStarted("pgbouncer-restart");
    window.back = Date.now();
    at(4000);
    observer.record(1, "t-new", "gateway", reply(503, "tenant_not_ready"), "GET /gw/echo");
    at(6000);
    observer.record(1, "t1", "gateway", reply(200), "GET /gw/echo");
    expect(window.recoveries).toEqual([]);
  });
});

describe("soak observer: tenants called since a time (memory samples beside the runtime objects alive)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it("counts each tenant once, and only those called at or after the time", () => {
    const observer = new Observer();
    observer.record(0, "t1", "read", reply(200), "GET /v1/maps/soak/k0");
    vi.setSystemTime(1_005_000);
    observer.record(0, "t2", "read", reply(200), "GET /v1/maps/soak/k0");
    observer.record(1, "t2", "write", reply(503, "unavailable"), "PUT /v1/maps/soak/k0");
    observer.record(-1, "t3", "upgrade", reply(101), "GET /v1/realtime");
    expect(observer.tenantsCalledSince(1_005_000)).toBe(2);
    expect(observer.tenantsCalledSince(0)).toBe(3);
    vi.setSystemTime(1_009_000);
    observer.record(0, "t1", "read", reply(200), "GET /v1/maps/soak/k1");
    expect(observer.tenantsCalledSince(1_005_000)).toBe(3);
    expect(observer.tenantsCalledSince(1_009_001)).toBe(0);
  });
});
