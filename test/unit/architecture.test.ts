import { createRequire } from "node:module";
import { cruise, type IReporterOutput } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

// The layer rules of docs/ARCHITECTURE.md, as dependency-cruiser checks them (.dependency-cruiser.cjs).
const ruleSet = createRequire(import.meta.url)("../../.dependency-cruiser.cjs");

describe("architecture", () => {
  it("keeps the layer rules and has no import cycle", async () => {
    const { output } = (await cruise(["src", "workers", "durable-objects"], {
      validate: true,
      ruleSet,
      ...ruleSet.options,
    })) as IReporterOutput & { output: { summary: { totalCruised: number; violations: { rule: { name: string }; from: string; to: string }[] } } };
    expect(output.summary.totalCruised).toBeGreaterThan(100);
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(violations).toEqual([]);
  }, 60_000);
});
