/** OTLP/HTTP protobuf body -> SpanRecords, through protobufjs and the shared checks. */
import { Buffer } from 'node:buffer';
import { depthMarker, int64Value, SPAN_KINDS, STATUS_CODES, setAttribute } from './attributes.ts';
import type { DecodeReport } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import {
  ExportTraceServiceRequestType,
  MessageBudgetExceeded,
  type PbAnyValue,
  type PbExportTraceServiceRequest,
  type PbKeyValue,
  type PbSpan,
  type PbUint64,
  withMessageBudget,
} from './proto-schema.ts';
import { serviceNameOf } from './service-name.ts';
import type { Attributes, AttributeValue, SpanEvent, SpanLink, SpanRecord } from './span-record.ts';
import { NameDecoder, textFromBytes, truncationMarker } from './text.ts';

const TWO_POW_32 = 4_294_967_296;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** fixed64 as protobufjs returns it (a Long, or a number without long.js) -> exact bigint. */
function uint64(value: PbUint64): bigint {
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function int64(value: PbUint64 | undefined): number | string {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  // |value| < 2^53 exactly when the signed high word fits in 21 bits.
  if (value.high >= -0x200000 && value.high < 0x200000) return value.high * TWO_POW_32 + (value.low >>> 0);
  return int64Value(BigInt.asIntN(64, (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)));
}

/** Error text of an id that is not `size` non-zero bytes, or '' when it is valid. */
function idProblem(bytes: Uint8Array, size: number): string {
  if (bytes.length !== size) return `expected ${size} bytes, got ${bytes.length}`;
  if (isAllZero(bytes)) return 'all-zero id is invalid';
  return '';
}

class ProtobufSpanConverter {
  private readonly report: DecodeReport;
  private readonly maxValueBytes: number;
  private readonly maxAttributes: number;
  private readonly maxDepth: number;
  private readonly names: NameDecoder;

  constructor(report: DecodeReport) {
    this.report = report;
    this.names = new NameDecoder(report.limits.maxNameBytes, report);
    this.maxValueBytes = report.limits.maxValueBytes;
    this.maxAttributes = report.limits.maxAttributes;
    this.maxDepth = report.limits.maxDepth;
  }

  name(bytes: Uint8Array): string {
    return this.names.decode(bytes);
  }

  attributes(list: PbKeyValue[]): Attributes {
    const out: Attributes = {};
    let count = list.length;
    if (count > this.maxAttributes) {
      this.report.counts.droppedAttributes += count - this.maxAttributes;
      count = this.maxAttributes;
    }
    for (let i = 0; i < count; i++) {
      const kv = list[i] as PbKeyValue;
      setAttribute(out, this.name(kv.key), this.value(kv.value, 1));
    }
    return out;
  }

  private value(v: PbAnyValue | null | undefined, depth: number): AttributeValue {
    if (!v) return null;
    switch (v.value) {
      case 'stringValue':
        return textFromBytes(v.stringValue as Uint8Array, this.maxValueBytes, this.report);
      case 'boolValue':
        return v.boolValue === true;
      case 'intValue':
        return int64(v.intValue);
      case 'doubleValue':
        return v.doubleValue ?? 0;
      case 'bytesValue':
        return this.bytesValue(v.bytesValue as Uint8Array);
      case 'arrayValue': {
        if (depth >= this.maxDepth) return this.depthCut();
        const values = v.arrayValue?.values ?? [];
        const out: AttributeValue[] = new Array(values.length);
        for (let i = 0; i < values.length; i++) out[i] = this.value(values[i], depth + 1);
        return out;
      }
      case 'kvlistValue': {
        if (depth >= this.maxDepth) return this.depthCut();
        const entries = v.kvlistValue?.values ?? [];
        const out: Attributes = {};
        let count = entries.length;
        if (count > this.maxAttributes) {
          this.report.counts.droppedAttributes += count - this.maxAttributes;
          count = this.maxAttributes;
        }
        for (let i = 0; i < count; i++) {
          const kv = entries[i] as PbKeyValue;
          setAttribute(out, this.name(kv.key), this.value(kv.value, depth + 1));
        }
        return out;
      }
      default:
        return null;
    }
  }

  private depthCut(): string {
    this.report.counts.depthCuts++;
    return depthMarker(this.maxDepth);
  }

  /** Bytes are rendered as base64, as the OTel Collector's pcommon `AsString()` does. */
  private bytesValue(bytes: Uint8Array): string {
    if (bytes.length === 0) return '';
    const buffer = asBuffer(bytes);
    const maxRaw = Math.floor((this.maxValueBytes * 3) / 4);
    if (buffer.length <= maxRaw) return buffer.toString('base64');
    this.report.counts.truncatedStrings++;
    return buffer.subarray(0, maxRaw).toString('base64') + truncationMarker(buffer.length - maxRaw);
  }

  span(
    span: PbSpan,
    path: () => string,
    resource: { attributes: Attributes; serviceName: string },
    scope: { name: string; version: string },
  ): SpanRecord | null {
    const report = this.report;
    const traceProblem = idProblem(span.traceId, 16);
    if (traceProblem) {
      report.reject(traceProblem, path, 'traceId');
      return null;
    }
    const spanProblem = idProblem(span.spanId, 8);
    if (spanProblem) {
      report.reject(spanProblem, path, 'spanId');
      return null;
    }
    let parentSpanId = '';
    if (span.parentSpanId.length !== 0) {
      if (span.parentSpanId.length !== 8) {
        report.reject(`expected 0 or 8 bytes, got ${span.parentSpanId.length}`, path, 'parentSpanId');
        return null;
      }
      if (!isAllZero(span.parentSpanId)) parentSpanId = asBuffer(span.parentSpanId).toString('hex');
    }
    const start = uint64(span.startTimeUnixNano);
    const end = report.checkTimes(start, uint64(span.endTimeUnixNano), path);
    if (end === null) return null;
    const traceId = asBuffer(span.traceId).toString('hex');
    const spanId = asBuffer(span.spanId).toString('hex');
    if (!report.checkUnique(traceId, spanId, path)) return null;

    return {
      traceId,
      spanId,
      parentSpanId,
      traceState: this.name(span.traceState),
      name: this.name(span.name),
      kind: SPAN_KINDS[span.kind] ?? 'Unspecified',
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      serviceName: resource.serviceName,
      resourceAttributes: resource.attributes,
      scopeName: scope.name,
      scopeVersion: scope.version,
      attributes: this.attributes(span.attributes),
      events: this.events(span, start),
      links: this.links(span),
      statusCode: STATUS_CODES[span.status?.code ?? 0] ?? 'Unset',
      statusMessage: span.status ? textFromBytes(span.status.message, this.maxValueBytes, this.report) : '',
    };
  }

  private events(span: PbSpan, start: bigint): SpanEvent[] {
    const list = span.events;
    let count = list.length;
    const max = this.report.limits.maxEventsPerSpan;
    if (count > max) {
      this.report.counts.droppedEvents += count - max;
      count = max;
    }
    const out: SpanEvent[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const event = list[i] as PbSpan['events'][number];
      out[i] = {
        timeUnixNano: this.report.clampEventTime(uint64(event.timeUnixNano), start),
        name: this.name(event.name),
        attributes: this.attributes(event.attributes),
      };
    }
    return out;
  }

  private links(span: PbSpan): SpanLink[] {
    const list = span.links;
    let count = list.length;
    const max = this.report.limits.maxLinksPerSpan;
    if (count > max) {
      this.report.counts.droppedLinks += count - max;
      count = max;
    }
    const out: SpanLink[] = [];
    for (let i = 0; i < count; i++) {
      const link = list[i] as PbSpan['links'][number];
      if (idProblem(link.traceId, 16) || idProblem(link.spanId, 8)) {
        this.report.counts.droppedLinks++;
        continue;
      }
      out.push({
        traceId: asBuffer(link.traceId).toString('hex'),
        spanId: asBuffer(link.spanId).toString('hex'),
        traceState: this.name(link.traceState),
        attributes: this.attributes(link.attributes),
      });
    }
    return out;
  }
}

function decodeWire(body: Uint8Array, maxMessages: number): PbExportTraceServiceRequest {
  try {
    return withMessageBudget(
      maxMessages,
      () => ExportTraceServiceRequestType.decode(asBuffer(body)) as unknown as PbExportTraceServiceRequest,
    );
  } catch (error) {
    if (error instanceof MessageBudgetExceeded) {
      throw new OtlpDecodeError(`request holds more than ${maxMessages} protobuf messages (maxMessages)`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(`invalid protobuf ExportTraceServiceRequest: ${reason}`);
  }
}

export function decodeProtobufSpans(body: Uint8Array, report: DecodeReport): SpanRecord[] {
  const request = decodeWire(body, report.limits.maxMessages);
  const convert = new ProtobufSpanConverter(report);
  const spans: SpanRecord[] = [];
  const resourceSpansList = request.resourceSpans;
  for (let r = 0; r < resourceSpansList.length; r++) {
    const resourceSpans = resourceSpansList[r] as PbExportTraceServiceRequest['resourceSpans'][number];
    // Shared by every span of this resource: consumers must treat it as read-only.
    const resourceAttributes = convert.attributes(resourceSpans.resource?.attributes ?? []);
    const resource = { attributes: resourceAttributes, serviceName: serviceNameOf(resourceAttributes) };
    const scopeSpansList = resourceSpans.scopeSpans;
    for (let s = 0; s < scopeSpansList.length; s++) {
      const scopeSpans = scopeSpansList[s] as (typeof scopeSpansList)[number];
      const scope = {
        name: scopeSpans.scope ? convert.name(scopeSpans.scope.name) : '',
        version: scopeSpans.scope ? convert.name(scopeSpans.scope.version) : '',
      };
      const list = scopeSpans.spans;
      for (let i = 0; i < list.length; i++) {
        const path = () => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        if (!report.enterSpan(path)) continue;
        const record = convert.span(list[i] as PbSpan, path, resource, scope);
        if (record) spans.push(record);
      }
    }
  }
  return spans;
}
