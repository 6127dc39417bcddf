/** OTLP/HTTP JSON body -> SpanRecords: JSON.parse, zod validation, shared checks. */
import { Buffer, isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { depthMarker, int64Value, SPAN_KINDS, STATUS_CODES, setAttribute } from './attributes.ts';
import type { DecodeReport } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import {
  anyValueSchema,
  exportTraceServiceRequestSchema,
  formatPath,
  type JsonAnyValue,
  type JsonKeyValue,
  type JsonSpan,
  keyValueSchema,
} from './json-schema.ts';
import { serviceNameOf } from './service-name.ts';
import type { Attributes, AttributeValue, SpanEvent, SpanLink, SpanRecord } from './span-record.ts';
import { limitText } from './text.ts';

const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;
const ALL_ZERO = /^0+$/;

function firstIssueMessage(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}invalid`;
  const where = formatPath([...(prefix ? [prefix] : []), ...issue.path]) || '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return `${where}: ${issue.message}${more}`;
}

function parseJson(body: Uint8Array, report: DecodeReport): unknown {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isUtf8(buffer)) report.counts.invalidUtf8++;
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function uint64(value: string | number | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  // Numbers above 2^53 already lost precision in JSON.parse; strings stay exact.
  return typeof value === 'string' ? BigInt(value) : BigInt(Math.trunc(value));
}

function double(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Hex id check: the error text, or '' when valid. */
function hexIdProblem(value: string, pattern: RegExp, chars: number): string {
  if (!pattern.test(value)) return `expected ${chars} hex characters`;
  if (ALL_ZERO.test(value)) return 'all-zero id is invalid';
  return '';
}

class JsonSpanConverter {
  private readonly report: DecodeReport;
  private readonly maxValueBytes: number;
  private readonly maxNameBytes: number;
  private readonly maxAttributes: number;
  private readonly maxDepth: number;

  constructor(report: DecodeReport) {
    this.report = report;
    this.maxValueBytes = report.limits.maxValueBytes;
    this.maxNameBytes = report.limits.maxNameBytes;
    this.maxAttributes = report.limits.maxAttributes;
    this.maxDepth = report.limits.maxDepth;
  }

  name(value: string | null | undefined): string {
    return value ? limitText(value, this.maxNameBytes, this.report) : '';
  }

  attributes(list: readonly JsonKeyValue[] | null | undefined, path: () => string): Attributes {
    const out: Attributes = {};
    if (!list) return out;
    let count = list.length;
    if (count > this.maxAttributes) {
      this.report.counts.droppedAttributes += count - this.maxAttributes;
      count = this.maxAttributes;
    }
    for (let i = 0; i < count; i++) {
      const kv = list[i] as JsonKeyValue;
      setAttribute(
        out,
        this.name(kv.key),
        this.value(kv.value, 1, () => `${path()}[${i}].value`),
      );
    }
    return out;
  }

  private value(v: JsonAnyValue | null | undefined, depth: number, path: () => string): AttributeValue {
    if (!v) return null;
    if (v.stringValue != null) return limitText(v.stringValue, this.maxValueBytes, this.report);
    if (v.boolValue != null) return v.boolValue;
    if (v.intValue != null) {
      // Unsafe integers become decimal strings, as the protobuf path returns them.
      if (typeof v.intValue === 'number' && Number.isSafeInteger(v.intValue)) return v.intValue;
      return int64Value(BigInt(v.intValue));
    }
    if (v.doubleValue != null) return double(v.doubleValue);
    if (v.arrayValue != null) {
      if (depth >= this.maxDepth) return this.depthCut();
      const values = v.arrayValue.values ?? [];
      const out: AttributeValue[] = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const itemPath = () => `${path()}.arrayValue.values[${i}]`;
        out[i] = this.value(this.validate(anyValueSchema, values[i], itemPath), depth + 1, itemPath);
      }
      return out;
    }
    if (v.kvlistValue != null) {
      if (depth >= this.maxDepth) return this.depthCut();
      const entries = v.kvlistValue.values ?? [];
      const out: Attributes = {};
      let count = entries.length;
      if (count > this.maxAttributes) {
        this.report.counts.droppedAttributes += count - this.maxAttributes;
        count = this.maxAttributes;
      }
      for (let i = 0; i < count; i++) {
        const entryPath = () => `${path()}.kvlistValue.values[${i}]`;
        const kv = this.validate(keyValueSchema, entries[i], entryPath);
        setAttribute(
          out,
          this.name(kv.key),
          this.value(kv.value, depth + 1, () => `${entryPath()}.value`),
        );
      }
      return out;
    }
    if (v.bytesValue != null) return limitText(v.bytesValue, this.maxValueBytes, this.report);
    return null;
  }

  private validate<T extends z.ZodType>(schema: T, input: unknown, path: () => string): z.infer<T> {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    throw new OtlpDecodeError(firstIssueMessage(result.error, path()));
  }

  private depthCut(): string {
    this.report.counts.depthCuts++;
    return depthMarker(this.maxDepth);
  }

  span(
    span: JsonSpan,
    path: () => string,
    resource: { attributes: Attributes; serviceName: string },
    scope: { name: string; version: string },
  ): SpanRecord | null {
    const report = this.report;
    const traceId = span.traceId ?? '';
    const traceProblem = hexIdProblem(traceId, HEX_32, 32);
    if (traceProblem) {
      report.reject(traceProblem, path, 'traceId');
      return null;
    }
    const spanId = span.spanId ?? '';
    const spanProblem = hexIdProblem(spanId, HEX_16, 16);
    if (spanProblem) {
      report.reject(spanProblem, path, 'spanId');
      return null;
    }
    let parentSpanId = span.parentSpanId ?? '';
    if (parentSpanId !== '') {
      if (!HEX_16.test(parentSpanId)) {
        report.reject('expected 16 hex characters or an empty string', path, 'parentSpanId');
        return null;
      }
      parentSpanId = ALL_ZERO.test(parentSpanId) ? '' : parentSpanId.toLowerCase();
    }
    const start = uint64(span.startTimeUnixNano);
    const end = report.checkTimes(start, uint64(span.endTimeUnixNano), path);
    if (end === null) return null;
    const traceIdHex = traceId.toLowerCase();
    const spanIdHex = spanId.toLowerCase();
    if (!report.checkUnique(traceIdHex, spanIdHex, path)) return null;

    return {
      traceId: traceIdHex,
      spanId: spanIdHex,
      parentSpanId,
      traceState: this.name(span.traceState),
      name: this.name(span.name),
      kind: SPAN_KINDS[span.kind ?? 0] ?? 'Unspecified',
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      serviceName: resource.serviceName,
      resourceAttributes: resource.attributes,
      scopeName: scope.name,
      scopeVersion: scope.version,
      attributes: this.attributes(span.attributes, () => `${path()}.attributes`),
      events: this.events(span, start, path),
      links: this.links(span, path),
      statusCode: STATUS_CODES[span.status?.code ?? 0] ?? 'Unset',
      statusMessage: span.status?.message ? limitText(span.status.message, this.maxValueBytes, report) : '',
    };
  }

  private events(span: JsonSpan, start: bigint, path: () => string): SpanEvent[] {
    const list = span.events ?? [];
    let count = list.length;
    const max = this.report.limits.maxEventsPerSpan;
    if (count > max) {
      this.report.counts.droppedEvents += count - max;
      count = max;
    }
    const out: SpanEvent[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const event = list[i] as NonNullable<JsonSpan['events']>[number];
      out[i] = {
        timeUnixNano: this.report.clampEventTime(uint64(event.timeUnixNano), start),
        name: this.name(event.name),
        attributes: this.attributes(event.attributes, () => `${path()}.events[${i}].attributes`),
      };
    }
    return out;
  }

  private links(span: JsonSpan, path: () => string): SpanLink[] {
    const list = span.links ?? [];
    let count = list.length;
    const max = this.report.limits.maxLinksPerSpan;
    if (count > max) {
      this.report.counts.droppedLinks += count - max;
      count = max;
    }
    const out: SpanLink[] = [];
    for (let i = 0; i < count; i++) {
      const link = list[i] as NonNullable<JsonSpan['links']>[number];
      const traceId = link.traceId ?? '';
      const spanId = link.spanId ?? '';
      if (hexIdProblem(traceId, HEX_32, 32) || hexIdProblem(spanId, HEX_16, 16)) {
        this.report.counts.droppedLinks++;
        continue;
      }
      out.push({
        traceId: traceId.toLowerCase(),
        spanId: spanId.toLowerCase(),
        traceState: this.name(link.traceState),
        attributes: this.attributes(link.attributes, () => `${path()}.links[${i}].attributes`),
      });
    }
    return out;
  }
}

export function decodeJsonSpans(body: Uint8Array, report: DecodeReport): SpanRecord[] {
  const parsed = exportTraceServiceRequestSchema.safeParse(parseJson(body, report));
  if (!parsed.success) throw new OtlpDecodeError(firstIssueMessage(parsed.error, ''));
  const convert = new JsonSpanConverter(report);
  const spans: SpanRecord[] = [];
  const resourceSpansList = parsed.data.resourceSpans ?? [];
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = resourceSpansList[r] as (typeof resourceSpansList)[number];
    // Shared by every span of this resource: consumers must treat it as read-only.
    const resourceAttributes = convert.attributes(
      resourceSpans.resource?.attributes,
      () => `resourceSpans[${r}].resource.attributes`,
    );
    const resource = { attributes: resourceAttributes, serviceName: serviceNameOf(resourceAttributes) };
    const scopeSpansList = resourceSpans.scopeSpans ?? [];
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopeSpans = scopeSpansList[s] as (typeof scopeSpansList)[number];
      const scope = {
        name: convert.name(scopeSpans.scope?.name),
        version: convert.name(scopeSpans.scope?.version),
      };
      const list = scopeSpans.spans ?? [];
      for (let i = 0; i < list.length; i++) {
        const path = () => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        if (!report.enterSpan(path)) continue;
        const record = convert.span(list[i] as JsonSpan, path, resource, scope);
        if (record) spans.push(record);
      }
    }
  }
  return spans;
}
