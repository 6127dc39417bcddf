/**
 * Book-keeping shared by the protobuf and JSON decoders: which spans were
 * rejected and why (for the partial-success answer), what was shortened or
 * dropped, and the span-level checks that do not depend on the wire format.
 */
import type { DecodeLimits } from './limits.ts';

/** What was shortened or dropped from accepted spans. */
export interface TruncationCounts {
  /** Attributes over `maxAttributes` (spans, resources, scopes, events, links). */
  droppedAttributes: number;
  droppedEvents: number;
  /** Links over `maxLinksPerSpan` or with invalid ids. */
  droppedLinks: number;
  /** Strings cut at `maxValueBytes` / `maxNameBytes`. */
  truncatedStrings: number;
  /** Array/kvlist values nested deeper than `maxDepth`. */
  depthCuts: number;
  /** Strings whose invalid UTF-8 was replaced with U+FFFD. */
  invalidUtf8: number;
  /** End times before start / out of range, event times out of range. */
  clampedTimestamps: number;
}

/**
 * 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in ns: outside is a broken
 * clock or a bug. The end is what the tables hold: their TTLs count in
 * DateTime, which ends in 2106, and a later row's expiry wraps into the past,
 * so ClickHouse would drop it as it arrives, after the client was told it
 * was taken (the roll-ups keep 400 days past their hour).
 */
export const MIN_TIME_NS = 946_684_800_000_000_000n;
export const MAX_TIME_NS = 4_102_444_800_000_000_000n;

const MAX_LISTED_PROBLEMS = 5;

interface Rejection {
  count: number;
  firstMessage: string;
}

export class DecodeReport {
  readonly limits: DecodeLimits;
  readonly counts: TruncationCounts = {
    droppedAttributes: 0,
    droppedEvents: 0,
    droppedLinks: 0,
    truncatedStrings: 0,
    depthCuts: 0,
    invalidUtf8: 0,
    clampedTimestamps: 0,
  };
  rejectedSpans = 0;
  private spansSeen = 0;
  private readonly rejections = new Map<string, Rejection>();
  private readonly seenIds = new Set<string>();

  constructor(limits: DecodeLimits) {
    this.limits = limits;
  }

  /**
   * Counts one more span in the request; false (and the span rejected) once
   * the request holds more than `maxSpans`.
   */
  enterSpan(path: () => string): boolean {
    this.spansSeen++;
    if (this.spansSeen <= this.limits.maxSpans) return true;
    this.reject(`request holds more than ${this.limits.maxSpans} spans`, path);
    return false;
  }

  /**
   * Rejects one span. `problem` groups rejections in the message; `path` names
   * the first span (and field) that had it.
   */
  reject(problem: string, path: () => string, field = ''): void {
    this.rejectedSpans++;
    const key = `${field}: ${problem}`;
    const existing = this.rejections.get(key);
    if (existing) {
      existing.count++;
      return;
    }
    const where = field ? `${path()}.${field}` : path();
    this.rejections.set(key, { count: 1, firstMessage: `${where}: ${problem}` });
  }

  /** Start/end sanity; returns the (possibly clamped) end time, or null when the span is rejected. */
  checkTimes(start: bigint, end: bigint, path: () => string): bigint | null {
    if (start < MIN_TIME_NS || start >= MAX_TIME_NS) {
      this.reject(
        start === 0n
          ? 'startTimeUnixNano is missing (0)'
          : 'startTimeUnixNano is outside 2000-01-01..2100-01-01',
        path,
        'startTimeUnixNano',
      );
      return null;
    }
    if (end < start || end >= MAX_TIME_NS) {
      // A span that ended "before" it started still happened: keep it, with duration 0.
      this.counts.clampedTimestamps++;
      return start;
    }
    return end;
  }

  /** Event times outside the sane range are set to the span start. */
  clampEventTime(time: bigint, spanStart: bigint): bigint {
    if (time >= MIN_TIME_NS && time < MAX_TIME_NS) return time;
    this.counts.clampedTimestamps++;
    return spanStart;
  }

  /** First span with a given (trace id, span id) wins; later ones are rejected. */
  checkUnique(traceId: string, spanId: string, path: () => string): boolean {
    const key = traceId + spanId;
    if (!this.seenIds.has(key)) {
      this.seenIds.add(key);
      return true;
    }
    this.reject('duplicate span id in this request (the first one is kept)', path, 'spanId');
    return false;
  }

  get truncations(): number {
    let total = 0;
    for (const value of Object.values(this.counts)) total += value;
    return total;
  }

  /**
   * The partial-success `error_message`: rejections first (with the path of
   * the first span that had each problem), then a summary of what was shortened.
   */
  message(): string {
    const parts: string[] = [];
    let listed = 0;
    let unlisted = 0;
    for (const { count, firstMessage } of this.rejections.values()) {
      if (listed === MAX_LISTED_PROBLEMS) {
        unlisted += count;
        continue;
      }
      listed++;
      parts.push(count > 1 ? `${firstMessage} (and ${count - 1} more spans like it)` : firstMessage);
    }
    if (unlisted > 0) parts.push(`${unlisted} more spans rejected for other problems`);
    const rejectedText = parts.length
      ? `rejected ${this.rejectedSpans} span${this.rejectedSpans === 1 ? '' : 's'}: ${parts.join('; ')}`
      : '';
    const truncatedText = this.truncationSummary();
    return [rejectedText, truncatedText].filter(Boolean).join('. ');
  }

  private truncationSummary(): string {
    const c = this.counts;
    const l = this.limits;
    const items: string[] = [];
    if (c.droppedAttributes)
      items.push(`${c.droppedAttributes} attributes over the limit of ${l.maxAttributes}`);
    if (c.droppedEvents) items.push(`${c.droppedEvents} events over the limit of ${l.maxEventsPerSpan}`);
    if (c.droppedLinks) items.push(`${c.droppedLinks} links (over ${l.maxLinksPerSpan} or invalid ids)`);
    if (c.truncatedStrings) items.push(`${c.truncatedStrings} strings shortened to the size limit`);
    if (c.depthCuts) items.push(`${c.depthCuts} values nested deeper than ${l.maxDepth}`);
    if (c.invalidUtf8) items.push(`${c.invalidUtf8} strings with invalid UTF-8 (replaced with U+FFFD)`);
    if (c.clampedTimestamps) items.push(`${c.clampedTimestamps} timestamps out of range (clamped)`);
    return items.length ? `accepted with changes: ${items.join(', ')}` : '';
  }
}
