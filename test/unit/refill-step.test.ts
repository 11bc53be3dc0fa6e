import { describe, expect, it } from "vitest";
import { refillStep } from "../../src/limits/edge-limits.ts";

describe("refillStep", () => {
  it.each([
    [10, 1, 100],
    [100, 10, 100],
    [1000, 100, 100],
    [25, 5, 200],
    [4, 1, 250],
    [2, 1, 500],
    [3, 3, 1000],
    [7, 7, 1000],
    [1, 1, 1000],
  ])("refills %i req/s as %i token(s) every %i ms", (rate, tokens, intervalMs) => {
    expect(refillStep(rate)).toEqual({ tokens, intervalMs });
  });

  it("keeps the rate exact for every whole rate up to 10 000/s", () => {
    for (let rate = 1; rate <= 10_000; rate++) {
      const step = refillStep(rate);
      expect(Number.isInteger(step.tokens) && step.tokens >= 1).toBe(true);
      expect((step.tokens * 1000) / step.intervalMs).toBe(rate);
    }
  });
});
