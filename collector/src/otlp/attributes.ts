/** Building attribute maps from untrusted keys. */
import type { Attributes, AttributeValue } from './span-record.ts';

/**
 * Sets `key` as an own property even when it is `__proto__`, which a plain
 * assignment would turn into a prototype change (and lose the attribute).
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function depthMarker(maxDepth: number): string {
  return `…[truncated: nested deeper than ${maxDepth} levels]`;
}

/** OTLP int64 as a JS value: a number while exact, else its decimal string. */
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function int64Value(value: bigint): number | string {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

export const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'] as const;
export const STATUS_CODES = ['Unset', 'Ok', 'Error'] as const;
