// Zipf-distributed ranks (P(k) ∝ 1/k^s, k = 1..n) from a seeded generator, so that every run
// sends the same mix of tenants.

export interface Zipf {
  /** A rank from 0 (the most frequent) to n - 1. */
  next(): number;
  /** Probability of rank `k` (0-based). */
  probability(k: number): number;
}

export function zipf(n: number, s: number, random: () => number): Zipf {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, s);
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return {
    next() {
      const u = random();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    probability: (k) => (k === 0 ? cdf[0]! : cdf[k]! - cdf[k - 1]!),
  };
}
