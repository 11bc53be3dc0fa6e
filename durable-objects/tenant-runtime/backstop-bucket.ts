/**
 * The runtime object's own token bucket, used only while Upstash does not answer: limits stay
 * enforced (per runtime object, in memory) instead of failing open or failing every request.
 */
export class BackstopBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(tenantId: string, ratePerSecond: number, burst: number, now = Date.now()): { ok: boolean; retryAfterMs: number } {
    const bucket = this.buckets.get(tenantId) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(tenantId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, retryAfterMs: 0 };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000) };
  }

  forget(tenantId: string): void {
    this.buckets.delete(tenantId);
  }
}
