/** OTLP/HTTP protobuf body -> SpanRecords, through protobufjs and the shared checks. */
import { Buffer } from 'node:buffer';
import { int64Value } from './attributes.ts';
import type { DecodeReport } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import {
  ExportTraceServiceRequestType,
  MessageBudgetExceeded,
  type PbAnyValue,
  type PbEvent,
  type PbExportTraceServiceRequest,
  type PbKeyValue,
  type PbLink,
  type PbResourceSpans,
  type PbScopeSpans,
  type PbSpan,
  type PbUint64,
  withMessageBudget,
} from './proto-schema.ts';
import type { AttributeValue, SpanRecord } from './span-record.ts';
import { SpanWalk, type WireShapes } from './span-walk.ts';
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

interface PbShapes extends WireShapes {
  request: PbExportTraceServiceRequest;
  resourceSpans: PbResourceSpans;
  scopeSpans: PbScopeSpans;
  span: PbSpan;
  event: PbEvent;
  link: PbLink;
  keyValue: PbKeyValue;
  value: PbAnyValue;
}

/** protobufjs messages: strings arrive as bytes, ids as bytes, times as fixed64. */
class ProtobufSpanWalk extends SpanWalk<PbShapes> {
  private readonly names: NameDecoder;

  constructor(report: DecodeReport) {
    super(report);
    this.names = new NameDecoder(report.limits.maxNameBytes, report);
  }

  protected resourceSpans(request: PbExportTraceServiceRequest) {
    return request.resourceSpans;
  }
  protected resourceAttributes(resourceSpans: PbResourceSpans) {
    return resourceSpans.resource?.attributes;
  }
  protected scopeSpans(resourceSpans: PbResourceSpans) {
    return resourceSpans.scopeSpans;
  }
  protected scope(scopeSpans: PbScopeSpans) {
    return {
      name: scopeSpans.scope ? this.names.decode(scopeSpans.scope.name) : '',
      version: scopeSpans.scope ? this.names.decode(scopeSpans.scope.version) : '',
    };
  }
  protected spans(scopeSpans: PbScopeSpans) {
    return scopeSpans.spans;
  }
  protected traceIdProblem(item: PbSpan | PbLink) {
    return idProblem(item.traceId, 16);
  }
  protected spanIdProblem(item: PbSpan | PbLink) {
    return idProblem(item.spanId, 8);
  }
  protected traceIdHex(item: PbSpan | PbLink) {
    return asBuffer(item.traceId).toString('hex');
  }
  protected spanIdHex(item: PbSpan | PbLink) {
    return asBuffer(item.spanId).toString('hex');
  }
  protected parentProblem(span: PbSpan) {
    const length = span.parentSpanId.length;
    return length === 0 || length === 8 ? '' : `expected 0 or 8 bytes, got ${length}`;
  }
  protected parentHex(span: PbSpan) {
    const id = span.parentSpanId;
    return id.length === 0 || isAllZero(id) ? '' : asBuffer(id).toString('hex');
  }
  protected startTime(span: PbSpan) {
    return uint64(span.startTimeUnixNano);
  }
  protected endTime(span: PbSpan) {
    return uint64(span.endTimeUnixNano);
  }
  protected eventTime(event: PbEvent) {
    return uint64(event.timeUnixNano);
  }
  protected kind(span: PbSpan) {
    return span.kind;
  }
  protected statusCode(span: PbSpan) {
    return span.status?.code ?? 0;
  }
  protected statusMessage(span: PbSpan) {
    return span.status ? textFromBytes(span.status.message, this.maxValueBytes, this.report) : '';
  }
  protected spanName(span: PbSpan) {
    return this.names.decode(span.name);
  }
  protected eventName(event: PbEvent) {
    return this.names.decode(event.name);
  }
  protected traceState(item: PbSpan | PbLink) {
    return this.names.decode(item.traceState);
  }
  protected attributeList(item: PbSpan | PbEvent | PbLink) {
    return item.attributes;
  }
  protected events(span: PbSpan) {
    return span.events;
  }
  protected links(span: PbSpan) {
    return span.links;
  }
  protected key(keyValue: PbKeyValue) {
    return this.names.decode(keyValue.key);
  }
  protected valueOf(keyValue: PbKeyValue) {
    return keyValue.value;
  }
  // protobufjs has already decoded and typed every nested message.
  protected nestedKeyValue(raw: unknown) {
    return raw as PbKeyValue;
  }
  protected nestedValue(raw: unknown) {
    return raw as PbAnyValue | null | undefined;
  }

  protected value(v: PbAnyValue | null | undefined, depth: number, path: () => string): AttributeValue {
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
      case 'arrayValue':
        return this.array(v.arrayValue?.values ?? [], depth, path);
      case 'kvlistValue':
        return this.kvlist(v.kvlistValue?.values ?? [], depth, path);
      default:
        return null;
    }
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
  return new ProtobufSpanWalk(report).walk(decodeWire(body, report.limits.maxMessages));
}
