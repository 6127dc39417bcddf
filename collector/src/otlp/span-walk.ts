/**
 * The resource → scope → span walk both OTLP decoders share, with everything
 * that does not depend on the wire format: limits on attributes, events, links
 * and nesting, span validation, and the SpanRecord it builds. A decoder
 * subclasses `SpanWalk` and supplies only its field readers.
 */
import { depthMarker, SPAN_KINDS, STATUS_CODES, setAttribute } from './attributes.ts';
import type { DecodeReport } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import { serviceNameOf } from './service-name.ts';
import type { Attributes, AttributeValue, SpanEvent, SpanLink, SpanRecord } from './span-record.ts';

/** The message types of one wire format, as its decoder sees them. */
export interface WireShapes {
  request: unknown;
  resourceSpans: unknown;
  scopeSpans: unknown;
  span: unknown;
  event: unknown;
  link: unknown;
  keyValue: unknown;
  value: unknown;
}

type Path = () => string;
type Maybe<T> = T | null | undefined;

export abstract class SpanWalk<W extends WireShapes> {
  protected readonly report: DecodeReport;
  protected readonly maxValueBytes: number;
  private readonly maxAttributes: number;
  private readonly maxDepth: number;

  constructor(report: DecodeReport) {
    this.report = report;
    this.maxValueBytes = report.limits.maxValueBytes;
    this.maxAttributes = report.limits.maxAttributes;
    this.maxDepth = report.limits.maxDepth;
  }

  // ---- field readers: one set per wire format ----
  protected abstract resourceSpans(request: W['request']): readonly W['resourceSpans'][];
  protected abstract resourceAttributes(resourceSpans: W['resourceSpans']): Maybe<readonly W['keyValue'][]>;
  protected abstract scopeSpans(resourceSpans: W['resourceSpans']): readonly W['scopeSpans'][];
  protected abstract scope(scopeSpans: W['scopeSpans']): { name: string; version: string };
  /** The spans as the wire holds them: `spanOf` checks each where the format checks lazily. */
  protected abstract spans(scopeSpans: W['scopeSpans']): readonly unknown[];
  /** Why a span's or link's trace id is invalid, or '' when it is valid. */
  protected abstract traceIdProblem(item: W['span'] | W['link']): string;
  protected abstract spanIdProblem(item: W['span'] | W['link']): string;
  /** Lowercase hex of a valid id. */
  protected abstract traceIdHex(item: W['span'] | W['link']): string;
  protected abstract spanIdHex(item: W['span'] | W['link']): string;
  /** Why the parent id is invalid, or '' when it is valid (empty and all-zero included). */
  protected abstract parentProblem(span: W['span']): string;
  /** Hex of a valid parent id; '' for a root span. */
  protected abstract parentHex(span: W['span']): string;
  protected abstract startTime(span: W['span']): bigint;
  protected abstract endTime(span: W['span']): bigint;
  protected abstract eventTime(event: W['event']): bigint;
  protected abstract kind(span: W['span']): number;
  protected abstract statusCode(span: W['span']): number;
  protected abstract statusMessage(span: W['span']): string;
  protected abstract spanName(span: W['span']): string;
  protected abstract eventName(event: W['event']): string;
  protected abstract traceState(item: W['span'] | W['link']): string;
  protected abstract attributeList(item: W['span'] | W['event'] | W['link']): Maybe<readonly W['keyValue'][]>;
  protected abstract events(span: W['span']): Maybe<readonly W['event'][]>;
  protected abstract links(span: W['span']): Maybe<readonly W['link'][]>;
  protected abstract key(keyValue: W['keyValue']): string;
  protected abstract valueOf(keyValue: W['keyValue']): Maybe<W['value']>;
  /**
   * A span as the wire holds it, checked where the format checks lazily;
   * throws `OtlpDecodeError` naming the field, and only that span is rejected.
   */
  protected spanOf(raw: unknown, _path: Path): W['span'] {
    return raw as W['span'];
  }
  /** A nested entry as the wire holds it, checked where the format checks lazily. */
  protected abstract nestedKeyValue(raw: unknown, path: Path): W['keyValue'];
  protected abstract nestedValue(raw: unknown, path: Path): Maybe<W['value']>;
  /**
   * A value: scalars here, arrays and key-value lists through `array` and
   * `kvlist` below (which apply the nesting limit).
   */
  protected abstract value(value: Maybe<W['value']>, depth: number, path: Path): AttributeValue;

  // ---- shared by both formats ----

  walk(request: W['request']): SpanRecord[] {
    const report = this.report;
    const spans: SpanRecord[] = [];
    const resourceSpansList = this.resourceSpans(request);
    for (let r = 0; r < resourceSpansList.length; r++) {
      const resourceSpans = resourceSpansList[r] as W['resourceSpans'];
      // Shared by every span of this resource: consumers must treat it as read-only.
      const resourceAttributes = this.attributes(
        this.resourceAttributes(resourceSpans),
        () => `resourceSpans[${r}].resource.attributes`,
      );
      const resource = { attributes: resourceAttributes, serviceName: serviceNameOf(resourceAttributes) };
      const scopeSpansList = this.scopeSpans(resourceSpans);
      for (let s = 0; s < scopeSpansList.length; s++) {
        const scopeSpans = scopeSpansList[s] as W['scopeSpans'];
        const scope = this.scope(scopeSpans);
        const list = this.spans(scopeSpans);
        for (let i = 0; i < list.length; i++) {
          const path = () => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
          if (!report.enterSpan(path)) continue;
          let record: SpanRecord | null;
          try {
            record = this.span(this.spanOf(list[i], path), path, resource, scope);
          } catch (error) {
            if (!(error instanceof OtlpDecodeError)) throw error;
            // A field of the wrong type is this span's problem: OTel exporters do not
            // retry a 400, so refusing the request would lose the good spans with it.
            this.rejectMalformed(error.message, path);
            continue;
          }
          if (record) spans.push(record);
        }
      }
    }
    return spans;
  }

  /** Rejects a span whose `message` ("<span path>.<field>: <problem>") names a malformed field. */
  private rejectMalformed(message: string, path: Path): void {
    const where = path();
    const rest = message.startsWith(where) ? message.slice(where.length) : `: ${message}`;
    const colon = rest.indexOf(': ');
    const field = rest.startsWith('.') && colon > 0 ? rest.slice(1, colon) : '';
    this.report.reject(colon >= 0 ? rest.slice(colon + 2) : rest, path, field);
  }

  /** How many of `length` items to keep under `max`, counting the rest with `drop`. */
  private capped(length: number, max: number, drop: 'droppedAttributes' | 'droppedEvents' | 'droppedLinks') {
    if (length <= max) return length;
    this.report.counts[drop] += length - max;
    return max;
  }

  protected attributes(list: Maybe<readonly W['keyValue'][]>, path: Path): Attributes {
    const out: Attributes = {};
    if (!list) return out;
    const count = this.capped(list.length, this.maxAttributes, 'droppedAttributes');
    for (let i = 0; i < count; i++) {
      const kv = list[i] as W['keyValue'];
      setAttribute(
        out,
        this.key(kv),
        this.value(this.valueOf(kv), 1, () => `${path()}[${i}].value`),
      );
    }
    return out;
  }

  protected array(values: readonly unknown[], depth: number, path: Path): AttributeValue {
    if (depth >= this.maxDepth) return this.depthCut();
    const out: AttributeValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const itemPath = () => `${path()}.arrayValue.values[${i}]`;
      out[i] = this.value(this.nestedValue(values[i], itemPath), depth + 1, itemPath);
    }
    return out;
  }

  protected kvlist(entries: readonly unknown[], depth: number, path: Path): AttributeValue {
    if (depth >= this.maxDepth) return this.depthCut();
    const out: Attributes = {};
    const count = this.capped(entries.length, this.maxAttributes, 'droppedAttributes');
    for (let i = 0; i < count; i++) {
      const entryPath = () => `${path()}.kvlistValue.values[${i}]`;
      const kv = this.nestedKeyValue(entries[i], entryPath);
      setAttribute(
        out,
        this.key(kv),
        this.value(this.valueOf(kv), depth + 1, () => `${entryPath()}.value`),
      );
    }
    return out;
  }

  private depthCut(): string {
    this.report.counts.depthCuts++;
    return depthMarker(this.maxDepth);
  }

  private span(
    span: W['span'],
    path: Path,
    resource: { attributes: Attributes; serviceName: string },
    scope: { name: string; version: string },
  ): SpanRecord | null {
    const report = this.report;
    const traceProblem = this.traceIdProblem(span);
    if (traceProblem) {
      report.reject(traceProblem, path, 'traceId');
      return null;
    }
    const spanProblem = this.spanIdProblem(span);
    if (spanProblem) {
      report.reject(spanProblem, path, 'spanId');
      return null;
    }
    const parentProblem = this.parentProblem(span);
    if (parentProblem) {
      report.reject(parentProblem, path, 'parentSpanId');
      return null;
    }
    const parentSpanId = this.parentHex(span);
    const start = this.startTime(span);
    const end = report.checkTimes(start, this.endTime(span), path);
    if (end === null) return null;
    const traceId = this.traceIdHex(span);
    const spanId = this.spanIdHex(span);
    if (!report.checkUnique(traceId, spanId, path)) return null;

    return {
      traceId,
      spanId,
      parentSpanId,
      traceState: this.traceState(span),
      name: this.spanName(span),
      kind: SPAN_KINDS[this.kind(span)] ?? 'Unspecified',
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      serviceName: resource.serviceName,
      resourceAttributes: resource.attributes,
      scopeName: scope.name,
      scopeVersion: scope.version,
      attributes: this.attributes(this.attributeList(span), () => `${path()}.attributes`),
      events: this.spanEvents(span, start, path),
      links: this.spanLinks(span, path),
      statusCode: STATUS_CODES[this.statusCode(span)] ?? 'Unset',
      statusMessage: this.statusMessage(span),
    };
  }

  private spanEvents(span: W['span'], start: bigint, path: Path): SpanEvent[] {
    const list = this.events(span) ?? [];
    const count = this.capped(list.length, this.report.limits.maxEventsPerSpan, 'droppedEvents');
    const out: SpanEvent[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const event = list[i] as W['event'];
      out[i] = {
        timeUnixNano: this.report.clampEventTime(this.eventTime(event), start),
        name: this.eventName(event),
        attributes: this.attributes(this.attributeList(event), () => `${path()}.events[${i}].attributes`),
      };
    }
    return out;
  }

  private spanLinks(span: W['span'], path: Path): SpanLink[] {
    const list = this.links(span) ?? [];
    const count = this.capped(list.length, this.report.limits.maxLinksPerSpan, 'droppedLinks');
    const out: SpanLink[] = [];
    for (let i = 0; i < count; i++) {
      const link = list[i] as W['link'];
      if (this.traceIdProblem(link) || this.spanIdProblem(link)) {
        this.report.counts.droppedLinks++;
        continue;
      }
      out.push({
        traceId: this.traceIdHex(link),
        spanId: this.spanIdHex(link),
        traceState: this.traceState(link),
        attributes: this.attributes(this.attributeList(link), () => `${path()}.links[${i}].attributes`),
      });
    }
    return out;
  }
}
