import { describe, expect, it } from "vitest";
import { call, control, eventually, expectProblem } from "../../support/api.ts";

describe("GET /v1/health", () => {
  it("answers 200 with every check ok, without authentication", async () => {
    const response = await call("GET", "/v1/health");
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("ok");
    expect(response.body.checks.postgres.status).toBe("ok");
    expect(response.body.checks.redis.status).toBe("ok");
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers 503 with Retry-After while Postgres is down, and recovers by itself", async () => {
    await control("postgres/stop");
    try {
      const down = await call("GET", "/v1/health");
      expectProblem(down, 503, "unavailable");
      expect(down.body.checks.postgres.status).toBe("down");
      expect(down.body.checks.redis.status).toBe("ok");
      expect(Number(down.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    } finally {
      await control("postgres/start");
    }
    await eventually(async () => (await call("GET", "/v1/health")).status === 200);
  });

  it("answers 503 while Redis is down, and recovers by itself", async () => {
    await control("redis/stop");
    try {
      const down = await call("GET", "/v1/health");
      expectProblem(down, 503, "unavailable");
      expect(down.body.checks.redis.status).toBe("down");
    } finally {
      await control("redis/start");
    }
    await eventually(async () => (await call("GET", "/v1/health")).status === 200);
  });

  it("gives admin routes a 503 problem document while Postgres is down", async () => {
    await control("postgres/stop");
    try {
      const response = await call("GET", "/v1/tenants", { token: (await import("vitest")).inject("adminToken") });
      expectProblem(response, 503, "unavailable");
    } finally {
      await control("postgres/start");
    }
    await eventually(async () => (await call("GET", "/v1/tenants", { token: (await import("vitest")).inject("adminToken") })).status === 200);
  });
});
