/** Instants as ClickHouse reads them into DateTime64 without loss: `seconds.fraction`, always UTC. */

/** An instant: nanoseconds since the epoch (bigint), a Date, or milliseconds since the epoch. */
export type Instant = bigint | Date | number;

export function toUnixNanos(instant: Instant): bigint {
  if (typeof instant === 'bigint') return instant;
  const ms = instant instanceof Date ? instant.getTime() : instant;
  if (!Number.isFinite(ms)) throw new RangeError(`invalid instant: ${String(instant)}`);
  // Sub-millisecond parts of a float survive to the microsecond.
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

/** `1700000000.123456789` for DateTime64(precision). */
export function toDateTime64(instant: Instant, precision = 9): string {
  const nanos = toUnixNanos(instant);
  if (nanos < 0n) throw new RangeError(`instant before 1970: ${nanos}`);
  const seconds = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').slice(0, precision);
  return precision > 0 ? `${seconds}.${fraction}` : `${seconds}`;
}

/** end - start in nanoseconds, never negative (clock skew between SDK hosts happens). */
export function durationNanos(start: bigint, end: bigint): bigint {
  return end > start ? end - start : 0n;
}
