/** The per-key token bucket, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/receive/rate-limit.ts';

function limiter(spansPerSecond: number) {
  let now = 1_000_000;
  const limit = createRateLimiter(spansPerSecond, () => now);
  return {
    limit,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('createRateLimiter', () => {
  it('admits two seconds of spans at once, then asks to wait for what is missing', () => {
    const { limit } = limiter(100);
    expect(limit.take('a', 150)).toBe(0);
    expect(limit.take('a', 50)).toBe(0);
    // Empty bucket: 10 spans need 100 ms; nothing was taken by the refusal.
    expect(limit.take('a', 10)).toBe(100);
    expect(limit.blockedFor('a')).toBe(10);
  });

  it('refills at the configured rate, up to the bucket size', () => {
    const { limit, advance } = limiter(100);
    expect(limit.take('a', 200)).toBe(0);
    advance(500);
    expect(limit.take('a', 51)).toBe(10);
    expect(limit.take('a', 50)).toBe(0);
    advance(60_000);
    expect(limit.take('a', 200)).toBe(0);
    expect(limit.take('a', 1)).toBe(10);
  });

  it('keys are independent', () => {
    const { limit } = limiter(10);
    expect(limit.take('a', 20)).toBe(0);
    expect(limit.blockedFor('a')).toBeGreaterThan(0);
    expect(limit.blockedFor('b')).toBe(0);
    expect(limit.take('b', 20)).toBe(0);
  });

  it('a batch larger than the bucket passes on a full bucket, and the debt holds the key back', () => {
    const { limit, advance } = limiter(10);
    expect(limit.take('a', 5)).toBe(0);
    // Not full: it waits until the bucket is, 5 spans at 10/s.
    expect(limit.take('a', 25)).toBe(500);
    advance(500);
    // Full again (20): the oversized batch goes through and leaves 20 - 500 = -480.
    expect(limit.take('a', 500)).toBe(0);
    expect(limit.blockedFor('a')).toBe(48_100);
    advance(48_000);
    expect(limit.blockedFor('a')).toBe(100);
    advance(100);
    expect(limit.blockedFor('a')).toBe(0);
    expect(limit.take('a', 1)).toBe(0);
  });

  it('a clock that steps back refills nothing; 0 spans per second disables the limit', () => {
    const { limit, advance } = limiter(10);
    expect(limit.take('a', 20)).toBe(0);
    advance(-5_000);
    expect(limit.take('a', 1)).toBe(100);
    const off = createRateLimiter(0);
    expect(off.take('a', 1_000_000)).toBe(0);
    expect(off.blockedFor('a')).toBe(0);
  });
});
