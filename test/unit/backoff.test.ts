import { describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../src/provisioning/backoff.ts";
import { fastQueueRetries } from "../../src/test-hooks/enabled.ts";

describe("retryDelaySeconds", () => {
  it("doubles from 2 s and stops at 5 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempts) => retryDelaySeconds(attempts))).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300]);
    expect(retryDelaySeconds(1000)).toBe(300);
  });

  it("is whole seconds, never negative", () => {
    for (const attempts of [0, -1, 1, 17]) {
      const delay = retryDelaySeconds(attempts);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
    }
  });

  it("retries at once under test hooks", () => {
    expect(retryDelaySeconds(5, true)).toBe(0);
  });

  it("keeps the production backoff under test hooks when asked (the soak), never fast without them", () => {
    expect(fastQueueRetries({ TEST_HOOKS: "1" })).toBe(true);
    // The soak: a Postgres outage of seconds must not use up an immediate retry budget.
    expect(fastQueueRetries({ TEST_HOOKS: "1", TEST_RETRY_BACKOFF: "real" })).toBe(false);
    expect(fastQueueRetries({})).toBe(false);
    expect(fastQueueRetries({ TEST_RETRY_BACKOFF: "fast" })).toBe(false);
  });
});
