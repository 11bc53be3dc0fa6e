import { describe, expect, it } from "vitest";
import { bootstrapPercentileRatio, percentile, sortedCopy } from "../../bench/lib/stats.ts";

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
/** Each answer a block of its own: the plain bootstrap. */
const single = (values: number[]) => values.map((value) => [value]);
/** Consecutive answers, `size` to a block. */
const blocksOf = (values: number[], size: number) => range(Math.ceil(values.length / size), (i) => values.slice(i * size, (i + 1) * size));

describe("bootstrapPercentileRatio", () => {
  it("is exactly the ratio when every answer took the same time", () => {
    expect(bootstrapPercentileRatio(single(range(300, () => 10)), single(range(300, () => 25)), 99)).toEqual([2.5, 2.5]);
  });

  it("holds the measured ratio, and 1 when both samples are the same", () => {
    const a = range(400, (i) => 5 + ((i * 37) % 100) / 4);
    const [low, high] = bootstrapPercentileRatio(single(a), single(a), 99);
    expect(low).toBeLessThanOrEqual(1);
    expect(high).toBeGreaterThanOrEqual(1);
    const b = a.map((x) => x * 1.5);
    const measured = percentile(sortedCopy(b), 99) / percentile(sortedCopy(a), 99);
    const [bLow, bHigh] = bootstrapPercentileRatio(single(a), single(b), 99);
    expect(bLow).toBeLessThanOrEqual(measured);
    expect(bHigh).toBeGreaterThanOrEqual(measured);
  });

  it("lies wholly above 1 when the second sample's slowest tenth is three times slower", () => {
    const a = range(1000, (i) => 1 + (i % 100));
    const b = a.map((x) => (x > 90 ? x * 3 : x));
    const [low] = bootstrapPercentileRatio(single(a), single(b), 99);
    expect(low).toBeGreaterThan(1.5);
  });

  it("is wider for fewer answers", () => {
    const sample = (n: number) => range(n, (i) => 5 + (((i * 7919) % n) / n) ** 8 * 100);
    const width = (n: number) => {
      const [low, high] = bootstrapPercentileRatio(single(sample(n)), single(sample(n)), 99);
      return high - low;
    };
    expect(width(150)).toBeGreaterThan(width(3000));
  });

  it("is wider when the slow answers came together (one stall) than when they were spread", () => {
    // 1000 answers of 10 ms and 15 slow ones of 100 ms: in one run of 15, or one in every 67.
    const together = [...range(500, () => 10), ...range(15, () => 100), ...range(500, () => 10)];
    const spread = range(1015, (i) => (i % 67 === 33 ? 100 : 10));
    const width = (values: number[]) => {
      const [low, high] = bootstrapPercentileRatio(blocksOf(values, 50), blocksOf(values, 50), 99);
      return high - low;
    };
    expect(width(together)).toBeGreaterThan(width(spread));
  });

  it("gives the same interval for the same samples", () => {
    const a = single(range(200, (i) => (i * 13) % 71));
    const b = single(range(200, (i) => (i * 17) % 83));
    expect(bootstrapPercentileRatio(a, b, 99)).toEqual(bootstrapPercentileRatio(a, b, 99));
  });
});
