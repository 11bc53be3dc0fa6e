import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, expectProblem } from "../../support/api.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** CONTRACT.md, "Plans and limits", row by row. */
const CONTRACT_PLANS = [
  {
    id: "free",
    limits: { requestsPerSecond: 10, burst: 20, requestsPerDay: 10_000, maxConcurrentRequests: 4, maxMaps: 10, maxStorageBytes: 100 * MiB, maxConnections: 10, maxValueBytes: 65_536 },
    features: ["realtime"],
    isolation: "shared",
  },
  {
    id: "pro",
    limits: { requestsPerSecond: 100, burst: 200, requestsPerDay: 100_000, maxConcurrentRequests: 20, maxMaps: 100, maxStorageBytes: 10 * GiB, maxConnections: 1000, maxValueBytes: 262_144 },
    features: ["realtime", "secrets"],
    isolation: "shared",
  },
  {
    id: "enterprise",
    limits: { requestsPerSecond: 1000, burst: 2000, requestsPerDay: null, maxConcurrentRequests: 200, maxMaps: null, maxStorageBytes: null, maxConnections: 10_000, maxValueBytes: 1_048_576 },
    features: ["realtime", "secrets", "dedicated"],
    isolation: "dedicated",
  },
];

/** The members a plan has in v1; `autoPromote` joins them with automatic promotion (CONTRACT.md, v1.1). */
const PLAN_MEMBERS = ["id", "limits", "features", "isolation"];
const LATER_MEMBERS = ["autoPromote"];

describe("GET /v1/plans", () => {
  let tenant: ActiveTenant;
  beforeAll(async () => {
    tenant = await activeTenant({ plan: "free" });
  });

  it("lists every plan with the contract's limits, features and default isolation, exactly", async () => {
    const response = await admin("GET", "/v1/plans");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(response.body)).toEqual(["data"]);
    const plans = response.body.data as Record<string, unknown>[];
    expect(plans.map((plan) => plan.id)).toEqual(["free", "pro", "enterprise"]);
    for (const [i, plan] of plans.entries()) {
      for (const member of Object.keys(plan)) expect([...PLAN_MEMBERS, ...LATER_MEMBERS]).toContain(member);
      const v1 = Object.fromEntries(PLAN_MEMBERS.map((member) => [member, plan[member]]));
      expect(v1).toStrictEqual(CONTRACT_PLANS[i]);
    }
  });

  it("answers the same to a repeated call", async () => {
    const [first, second] = await Promise.all([admin("GET", "/v1/plans"), admin("GET", "/v1/plans")]);
    expect(second.body).toEqual(first.body);
  });

  it("answers 401 without a credential, with a wrong admin token and with a tenant's key", async () => {
    expectProblem(await call("GET", "/v1/plans"), 401, "unauthenticated");
    expectProblem(await call("GET", "/v1/plans", { token: "not-the-admin-token" }), 401, "unauthenticated");
    expectProblem(await tenant.call("GET", "/v1/plans"), 401, "unauthenticated");
  });
});
