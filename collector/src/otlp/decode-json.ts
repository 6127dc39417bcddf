/** OTLP/HTTP JSON body -> SpanRecords: JSON.parse, zod validation, shared checks. */
import { Buffer, isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { int64Value } from './attributes.ts';
import type { DecodeReport } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import {
  anyValueSchema,
  exportTraceServiceRequestSchema,
  formatPath,
  type JsonAnyValue,
  type JsonExportTraceServiceRequest,
  type JsonKeyValue,
  type JsonSpan,
  keyValueSchema,
  spanSchema,
} from './json-schema.ts';
import type { AttributeValue, SpanRecord } from './span-record.ts';
import { SpanWalk, type WireShapes } from './span-walk.ts';
import { limitText } from './text.ts';

const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;
const ALL_ZERO = /^0+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
// A hex id cut short is not base64, though its characters are.
const HEX = /^[0-9a-fA-F]*$/;

function firstIssueMessage(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}invalid`;
  const where = formatPath([...(prefix ? [prefix] : []), ...issue.path]) || '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return `${where}: ${issue.message}${more}`;
}

/**
 * Whether the body holds more than `max` objects, arrays and separated
 * values, counted on its bytes before JSON.parse builds them. `{},` costs
 * three bytes of JSON and about fifty of heap, so a body within the size
 * limits could otherwise expand into gigabytes; the protobuf path bounds the
 * same thing with `maxMessages`, and a JSON request holds about two of these
 * per protobuf message. Strings are skipped, escapes and all.
 */
function tooManyValues(buffer: Buffer, max: number): boolean {
  // Each counts at least one byte of its own.
  if (buffer.length <= max) return false;
  let count = 0;
  let inString = false;
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if ((c === 0x7b || c === 0x5b || c === 0x2c) && ++count > max) return true;
  }
  return false;
}

const hasProtoName = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && Object.keys(value).some((key) => key.includes('_'));

const listIn = (value: unknown, name: string): unknown[] => {
  const list =
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
  return Array.isArray(list) ? list : [];
};

/**
 * Whether the request, a resource, a scope or a scope's first span names a
 * field as the .proto does. A producer that does writes every message so: a
 * scope's first span speaks for the rest. Every resource and scope is looked
 * at, since a relay may put the resources of producers that write different
 * names into one request, and a resource whose `scope_spans` went unread lost
 * its spans without a word. Looking no deeper keeps the walk (a few ms on a
 * 2 MB body) off the requests that write JSON names, which are nearly all.
 */
function writesProtoNames(json: unknown): boolean {
  if (hasProtoName(json)) return true;
  for (const resourceSpans of listIn(json, 'resourceSpans')) {
    if (hasProtoName(resourceSpans)) return true;
    for (const scopeSpans of listIn(resourceSpans, 'scopeSpans')) {
      if (hasProtoName(scopeSpans) || hasProtoName(listIn(scopeSpans, 'spans')[0])) return true;
    }
  }
  return false;
}

/**
 * Renames the fields of every message in `root` from their .proto names to
 * their JSON names (`trace_id` → `traceId`). Proto3 JSON parsers take both,
 * protobuf's own printers write the .proto names when told to keep them, and
 * the OTel Collector reads them; read as unknown fields, a `resource_spans`
 * request came out empty: a success with nothing stored. Every object of an
 * OTLP request is a message (attribute names are `key` values), so all of
 * them are renamed; the JSON name wins when both are given. Iterative: the
 * parsed value may be nested far deeper than the stack.
 */
function useJsonNames(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item !== null && typeof item === 'object') stack.push(item);
      if (!key.includes('_')) continue;
      const jsonName = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      if (!Object.hasOwn(object, jsonName)) object[jsonName] = item;
      delete object[key];
    }
  }
}

function parseJson(body: Uint8Array, report: DecodeReport): unknown {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const maxValues = 2 * report.limits.maxMessages;
  if (tooManyValues(buffer, maxValues))
    throw new OtlpDecodeError(
      `request holds more than ${maxValues} JSON objects, arrays and values (2 × maxMessages)`,
    );
  if (!isUtf8(buffer)) report.counts.invalidUtf8++;
  // RFC 8259 lets a parser ignore a byte order mark, and Windows tools write one;
  // JSON.parse would refuse the body over a character its message cannot show.
  const bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  const text = buffer.toString('utf8', bom);
  // A request without telemetry is a success (OTLP/HTTP), and an empty body
  // carries none: it is the empty protobuf message's JSON twin.
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (writesProtoNames(json)) useJsonNames(json);
  return json;
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
  if (!pattern.test(value)) {
    // Protobuf's own JSON mapping writes bytes as base64, and its printers send ids so.
    const base64 =
      BASE64.test(value) && !HEX.test(value) && Buffer.from(value, 'base64').length === chars / 2;
    return `expected ${chars} hex characters${base64 ? ', got base64 (OTLP/JSON writes ids as hex)' : ''}`;
  }
  if (ALL_ZERO.test(value)) return 'all-zero id is invalid';
  return '';
}

type JsonResourceSpans = NonNullable<JsonExportTraceServiceRequest['resourceSpans']>[number];
type JsonScopeSpans = NonNullable<JsonResourceSpans['scopeSpans']>[number];
type JsonEvent = NonNullable<JsonSpan['events']>[number];
type JsonLink = NonNullable<JsonSpan['links']>[number];

interface JsonShapes extends WireShapes {
  request: JsonExportTraceServiceRequest;
  resourceSpans: JsonResourceSpans;
  scopeSpans: JsonScopeSpans;
  span: JsonSpan;
  event: JsonEvent;
  link: JsonLink;
  keyValue: JsonKeyValue;
  value: JsonAnyValue;
}

/** The protobuf JSON mapping, checked by zod: ids as hex, 64-bit numbers as strings or numbers. */
class JsonSpanWalk extends SpanWalk<JsonShapes> {
  private readonly maxNameBytes: number;

  constructor(report: DecodeReport) {
    super(report);
    this.maxNameBytes = report.limits.maxNameBytes;
  }

  private name(value: string | null | undefined): string {
    return value ? limitText(value, this.maxNameBytes, this.report) : '';
  }

  protected resourceSpans(request: JsonExportTraceServiceRequest) {
    return request.resourceSpans ?? [];
  }
  protected resourceAttributes(resourceSpans: JsonResourceSpans) {
    return resourceSpans.resource?.attributes;
  }
  protected scopeSpans(resourceSpans: JsonResourceSpans) {
    return resourceSpans.scopeSpans ?? [];
  }
  protected scope(scopeSpans: JsonScopeSpans) {
    return { name: this.name(scopeSpans.scope?.name), version: this.name(scopeSpans.scope?.version) };
  }
  protected spans(scopeSpans: JsonScopeSpans) {
    return scopeSpans.spans ?? [];
  }
  protected override spanOf(raw: unknown, path: () => string) {
    return validate(spanSchema, raw, path);
  }
  protected traceIdProblem(item: JsonSpan | JsonLink) {
    return hexIdProblem(item.traceId ?? '', HEX_32, 32);
  }
  protected spanIdProblem(item: JsonSpan | JsonLink) {
    return hexIdProblem(item.spanId ?? '', HEX_16, 16);
  }
  protected traceIdHex(item: JsonSpan | JsonLink) {
    return (item.traceId ?? '').toLowerCase();
  }
  protected spanIdHex(item: JsonSpan | JsonLink) {
    return (item.spanId ?? '').toLowerCase();
  }
  protected parentProblem(span: JsonSpan) {
    const id = span.parentSpanId ?? '';
    return id === '' || HEX_16.test(id) ? '' : 'expected 16 hex characters or an empty string';
  }
  protected parentHex(span: JsonSpan) {
    const id = span.parentSpanId ?? '';
    return id === '' || ALL_ZERO.test(id) ? '' : id.toLowerCase();
  }
  protected startTime(span: JsonSpan) {
    return uint64(span.startTimeUnixNano);
  }
  protected endTime(span: JsonSpan) {
    return uint64(span.endTimeUnixNano);
  }
  protected eventTime(event: JsonEvent) {
    return uint64(event.timeUnixNano);
  }
  protected kind(span: JsonSpan) {
    return span.kind ?? 0;
  }
  protected statusCode(span: JsonSpan) {
    return span.status?.code ?? 0;
  }
  protected statusMessage(span: JsonSpan) {
    return span.status?.message ? limitText(span.status.message, this.maxValueBytes, this.report) : '';
  }
  protected spanName(span: JsonSpan) {
    return this.name(span.name);
  }
  protected eventName(event: JsonEvent) {
    return this.name(event.name);
  }
  protected traceState(item: JsonSpan | JsonLink) {
    return this.name(item.traceState);
  }
  protected attributeList(item: JsonSpan | JsonEvent | JsonLink) {
    return item.attributes;
  }
  protected events(span: JsonSpan) {
    return span.events;
  }
  protected links(span: JsonSpan) {
    return span.links;
  }
  protected key(keyValue: JsonKeyValue) {
    return this.name(keyValue.key);
  }
  protected valueOf(keyValue: JsonKeyValue) {
    return keyValue.value;
  }
  // The request schema stops at the first level of nesting (a deep schema
  // would recurse without bound on hostile input): deeper entries are checked here.
  protected nestedKeyValue(raw: unknown, path: () => string) {
    return validate(keyValueSchema, raw, path);
  }
  protected nestedValue(raw: unknown, path: () => string) {
    return validate(anyValueSchema, raw, path);
  }

  protected value(v: JsonAnyValue | null | undefined, depth: number, path: () => string): AttributeValue {
    if (!v) return null;
    if (v.stringValue != null) return limitText(v.stringValue, this.maxValueBytes, this.report);
    if (v.boolValue != null) return v.boolValue;
    if (v.intValue != null) {
      // Unsafe integers become decimal strings, as the protobuf path returns them.
      if (typeof v.intValue === 'number' && Number.isSafeInteger(v.intValue)) return v.intValue;
      return int64Value(BigInt(v.intValue));
    }
    if (v.doubleValue != null) return double(v.doubleValue);
    if (v.arrayValue != null) return this.array(v.arrayValue.values ?? [], depth, path);
    if (v.kvlistValue != null) return this.kvlist(v.kvlistValue.values ?? [], depth, path);
    if (v.bytesValue != null) return limitText(v.bytesValue, this.maxValueBytes, this.report);
    return null;
  }
}

function validate<T extends z.ZodType>(schema: T, input: unknown, path: () => string): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new OtlpDecodeError(firstIssueMessage(result.error, path()));
}

export function decodeJsonSpans(body: Uint8Array, report: DecodeReport): SpanRecord[] {
  const parsed = exportTraceServiceRequestSchema.safeParse(parseJson(body, report));
  if (!parsed.success) throw new OtlpDecodeError(firstIssueMessage(parsed.error, ''));
  return new JsonSpanWalk(report).walk(parsed.data);
}
