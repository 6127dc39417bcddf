/**
 * Per-key token bucket on spans per second. One noisy app gets 429 with
 * Retry-After (which OTel exporters honour) instead of starving the others.
 */
export interface RateLimiter {
  /** Milliseconds to wait before retrying, or 0 when the spans are admitted. */
  take(key: string, spans: number): number;
}

export function createRateLimiter(spansPerSecond: number, now: () => number = Date.now): RateLimiter {
  if (spansPerSecond <= 0) return { take: () => 0 };
  // A burst of two seconds' worth lets a batch exporter's periodic flush through.
  const capacity = spansPerSecond * 2;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, spans) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * spansPerSecond);
      bucket.at = t;
      buckets.set(key, bucket);
      if (spans <= bucket.tokens) {
        bucket.tokens -= spans;
        return 0;
      }
      const deficit = Math.min(spans, capacity) - bucket.tokens;
      return Math.ceil((deficit / spansPerSecond) * 1000);
    },
  };
}
