/**
 * Bounds applied while decoding one export request. Anything over a bound is
 * dropped or shortened and counted, never allowed to grow memory or crash.
 */
export interface DecodeLimits {
  /** Spans beyond this many in one request are rejected (partial success). */
  maxSpans: number;
  /** Per span, resource, scope, event and link; extra attributes are dropped. */
  maxAttributes: number;
  maxEventsPerSpan: number;
  maxLinksPerSpan: number;
  /**
   * UTF-8 bytes of one string attribute value or status message. Large because
   * LLM prompts and completions live in attribute values and must be stored.
   */
  maxValueBytes: number;
  /** UTF-8 bytes of attribute keys, span/event/scope names and trace state. */
  maxNameBytes: number;
  /** Levels of nested array/kvlist values; deeper levels become a marker string. */
  maxDepth: number;
  /**
   * Protobuf messages (spans, key-values, values, …) in one request; past it
   * the request is refused. Bounds the objects a small body can expand into.
   */
  maxMessages: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxSpans: 20_000,
  maxAttributes: 1024,
  maxEventsPerSpan: 1024,
  maxLinksPerSpan: 128,
  maxValueBytes: 1024 * 1024,
  maxNameBytes: 1024,
  maxDepth: 10,
  // About 40 per GenAI span: 2M covers 20k rich spans, and bounds a hostile body to a few hundred MB.
  maxMessages: 2_000_000,
});

export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  if (!limits) return DEFAULT_DECODE_LIMITS;
  const merged = { ...DEFAULT_DECODE_LIMITS };
  for (const key of Object.keys(merged) as (keyof DecodeLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`DecodeLimits.${key} must be a non-negative integer, got ${value}`);
    }
    merged[key] = value;
  }
  return merged;
}
