import type { MiddlewareHandler } from 'hono';
import type { KeyIdentity } from './api-keys.ts';
import { type Refusal, type Refuse, refuseJson, retryAfterSeconds } from './refusal.ts';

/**
 * Per-key token bucket on spans per second. One noisy app gets 429 with
 * Retry-After (which OTel exporters honour) instead of starving the others.
 */
export interface RateLimiter {
  /** Milliseconds to wait before retrying, or 0 when the spans are admitted (and taken). */
  take(key: string, spans: number): number;
  /**
   * Milliseconds until `key` may send anything, taking nothing: lets the
   * server refuse a throttled client before it reads and decodes the body.
   */
  blockedFor(key: string): number;
}

export function createRateLimiter(spansPerSecond: number, now: () => number = Date.now): RateLimiter {
  if (spansPerSecond <= 0) return { take: () => 0, blockedFor: () => 0 };
  // A burst of two seconds' worth lets a batch exporter's periodic flush through.
  const capacity = spansPerSecond * 2;
  // Keys are configured API keys (or the one dev-mode key), so this map is bounded by configuration.
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refilled = (key: string) => {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * spansPerSecond);
    bucket.at = t;
    buckets.set(key, bucket);
    return bucket;
  };
  const msFor = (tokens: number) => Math.max(1, Math.ceil((tokens / spansPerSecond) * 1000));
  return {
    take(key, spans) {
      const bucket = refilled(key);
      // A batch larger than the whole bucket could never fit: admit it on a
      // full bucket and let the debt hold this key back until it is repaid.
      if (spans <= bucket.tokens || bucket.tokens >= capacity) {
        bucket.tokens -= spans;
        return 0;
      }
      return msFor(Math.min(spans, capacity) - bucket.tokens);
    },
    blockedFor(key) {
      const bucket = refilled(key);
      return bucket.tokens >= 1 ? 0 : msFor(1 - bucket.tokens);
    },
  };
}

export type RateLimitEnv = {
  Variables: {
    identity: KeyIdentity;
    /** Takes `units` from the key's bucket: 0 when admitted, else the milliseconds to wait. */
    takeQuota: (units: number) => number;
  };
};

export interface RateLimitOptions {
  limiter: RateLimiter;
  /**
   * Units a request costs, taken before the route runs. Leave it out when the
   * cost is known only after decoding (spans in a batch): the middleware then
   * refuses a key that cannot send anything yet, before its body is read, and
   * the route takes the cost through `takeQuota`.
   */
  cost?: number;
  refuse?: Refuse;
}

/** Per-key rate limiting after `apiKeyAuth`: 429 with Retry-After. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<RateLimitEnv> {
  const { limiter, cost } = options;
  const refuse = options.refuse ?? refuseJson;
  return async (c, next) => {
    const keyId = c.get('identity').keyId;
    const waitMs = cost === undefined ? limiter.blockedFor(keyId) : limiter.take(keyId, cost);
    if (waitMs > 0) return refuse(c, rateLimited(waitMs));
    c.set('takeQuota', (units) => limiter.take(keyId, units));
    await next();
  };
}

export function rateLimited(waitMs: number): Refusal {
  const seconds = retryAfterSeconds(waitMs);
  return {
    status: 429,
    message: `rate limit exceeded for this API key; retry in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}
