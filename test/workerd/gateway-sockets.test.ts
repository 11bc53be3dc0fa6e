// The runtime object's table of gateway WebSockets (src/runtime/gateway-sockets.ts) and lease
// renewal (a response still streaming keeps its lease), in workerd's SQLite.
import { describe, expect, it } from "vitest";
import { GATEWAY_SOCKET_TTL_MS } from "../../durable-objects/tenant-runtime/gateway-sockets.ts";
import { harness, inside } from "./harness.ts";
import { HARNESS_LEASE_TTL_MS } from "./tables-harness.ts";

describe("GatewaySockets", () => {
  it("counts open sockets per tenant and forgets a closed one, returning when it opened", async () => {
    await inside(harness(), ({ gatewaySockets }) => {
      const first = gatewaySockets.open("ten_a", 1000);
      gatewaySockets.open("ten_a", 2000);
      gatewaySockets.open("ten_b", 2000);
      expect(gatewaySockets.held("ten_a", 3000)).toBe(2);
      expect(gatewaySockets.held("ten_b", 3000)).toBe(1);
      expect(gatewaySockets.close(first)).toBe(1000);
      expect(gatewaySockets.close(first)).toBeNull();
      expect(gatewaySockets.held("ten_a", 3000)).toBe(1);
    });
  });

  it("lets a socket nobody renews expire (its isolate died), and keeps a renewed one", async () => {
    await inside(harness(), ({ gatewaySockets }) => {
      const renewed = gatewaySockets.open("ten_a", 0);
      gatewaySockets.open("ten_a", 0);
      gatewaySockets.renew(renewed, GATEWAY_SOCKET_TTL_MS - 1);
      expect(gatewaySockets.held("ten_a", GATEWAY_SOCKET_TTL_MS)).toBe(1);
      expect(gatewaySockets.close(renewed)).toBe(0);
      expect(gatewaySockets.held("ten_a", GATEWAY_SOCKET_TTL_MS)).toBe(0);
    });
  });
});

describe("LeaseTable.renew", () => {
  it("pushes a lease's expiry back by the TTL", async () => {
    await inside(harness(), ({ leases }) => {
      const lease = leases.acquire("ten_a", 1, 0)!;
      leases.renew(lease, HARNESS_LEASE_TTL_MS - 1);
      expect(leases.held("ten_a", HARNESS_LEASE_TTL_MS + 10)).toBe(1);
      expect(leases.acquire("ten_a", 1, HARNESS_LEASE_TTL_MS + 10)).toBeNull();
      expect(leases.held("ten_a", 2 * HARNESS_LEASE_TTL_MS)).toBe(0);
    });
  });
});
