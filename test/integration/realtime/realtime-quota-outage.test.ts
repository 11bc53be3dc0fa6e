import { describe, expect, it } from "vitest";
import { control, eventually } from "../../support/api.ts";
import { connect } from "../../support/realtime-client.ts";
import { activeTenant } from "../../support/tenants.ts";

// Found by the soak (scripts/soak): realtime frames admitted by the runtime object's backstop bucket
// while Upstash was away were never charged to the daily quota, so a tenant could pass its
// requestsPerDay over realtime during every Upstash outage. REST requests were already charged
// (src/edge/pipeline.ts → oweQuota); frames now are too (src/realtime/executor.ts).
describe("realtime frames during an Upstash outage", () => {
  it("count against the daily quota once Upstash answers again", async () => {
    // Burst 4 at 2/s: one token a request (nothing taken ahead), so the quota's remainder is exact.
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 2, burst: 4 } }); // 10 000 a day
    expect((await t.call("PUT", "/v1/maps/rt/k", { body: 1 })).status).toBe(200);
    const client = await connect({ token: t.key });
    const admitted = (reply: any) => reply.ok === true;
    let admittedSinceStop = 0;
    try {
      await control("redis/stop");
      try {
        for (let i = 0; i < 8; i++) {
          const reply = await client.request({ op: "get", map: "rt", key: "k" });
          if (admitted(reply)) admittedSinceStop++;
          else expect(reply.error.code).toBe("rate_limited");
        }
        // The backstop bucket admitted some of them: those are what the quota must be charged.
        expect(admittedSinceStop).toBeGreaterThan(0);
      } finally {
        // The local Redis comes back empty: from here on, its count is what was admitted since the stop.
        await control("redis/start");
      }
      // Upstash answers again once an HTTP request's RateLimit header has a daily remainder.
      await eventually(async () => {
        const response = await t.call("GET", "/v1/me");
        if (response.status === 200) admittedSinceStop++;
        return response.status === 200 && /"daily";r=\d+/.test(response.headers.get("ratelimit") ?? "");
      }, 10_000, 250);
      // Past the circuit breaker's pause: one more frame (its round trip carries what the frames owe)…
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const frame = await client.request({ op: "get", map: "rt", key: "k" });
      expect(admitted(frame)).toBe(true);
      admittedSinceStop++;
      // …and the quota has counted every request and frame admitted since the stop.
      const response = await t.call("GET", "/v1/me");
      expect(response.status).toBe(200);
      admittedSinceStop++;
      const remaining = Number(/"daily";r=(\d+)/.exec(response.headers.get("ratelimit") ?? "")?.[1]);
      expect(remaining).toBe(10_000 - admittedSinceStop);
    } finally {
      await client.close();
    }
  });
});
