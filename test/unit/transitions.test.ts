import { describe, expect, it } from "vitest";
import { TENANT_STATUSES } from "../../src/core/tenant.ts";
import { statusTransition } from "../../src/tenants/transitions.ts";

describe("statusTransition", () => {
  it("suspends only an active tenant", () => {
    for (const status of TENANT_STATUSES) {
      const result = statusTransition(status, "suspended");
      expect(result.ok, status).toBe(status === "active");
      if (result.ok) expect(result.action).toBe("tenant.suspended");
    }
  });

  it("resumes only a suspended tenant", () => {
    for (const status of TENANT_STATUSES) {
      const result = statusTransition(status, "active");
      expect(result.ok, status).toBe(status === "suspended");
      if (result.ok) expect(result.action).toBe("tenant.resumed");
      else expect(result.reason).toContain(status);
    }
  });
});
