/**
 * Hand-built export requests in both wire formats, for inputs no SDK would
 * send (bad ids, absurd times, huge or invalid strings). Protobuf bodies are
 * encoded by protobufjs with the decoder's own schema; strings may be given as
 * raw bytes to smuggle invalid UTF-8 onto the wire.
 */
import { Buffer } from 'node:buffer';
import { ExportTraceServiceRequestType } from '../../src/otlp/proto-schema.ts';

export type Text = string | Uint8Array;

export type TestValue =
  | { stringValue: Text }
  | { boolValue: boolean }
  | { intValue: number | string }
  | { doubleValue: number }
  | { bytesValue: Uint8Array }
  | { arrayValue: { values: TestValue[] } }
  | { kvlistValue: { values: TestKeyValue[] } };

export interface TestKeyValue {
  key: Text;
  value: TestValue;
}

export interface TestSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: Text;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: TestKeyValue[];
  events?: { timeUnixNano: string; name: Text; attributes?: TestKeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: TestKeyValue[] }[];
  status?: { code: number; message?: Text };
}

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const T0 = 1_767_225_600_000_000_000n;

let nextSpan = 1;
/** A valid span with a fresh span id; override what the test is about. */
export function span(overrides: TestSpan = {}): TestSpan {
  const id = (nextSpan++).toString(16).padStart(16, '0');
  return {
    traceId: TRACE_ID,
    spanId: id,
    name: `op ${id}`,
    kind: 1,
    startTimeUnixNano: T0.toString(),
    endTimeUnixNano: (T0 + 1_000_000n).toString(),
    ...overrides,
  };
}

export function str(key: Text, value: Text): TestKeyValue {
  return { key, value: { stringValue: value } };
}

function toProtoValue(value: TestValue): object {
  if ('stringValue' in value) return { stringValue: bytes(value.stringValue) };
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(toProtoValue) } };
  if ('kvlistValue' in value)
    return { kvlistValue: { values: value.kvlistValue.values.map(toProtoKeyValue) } };
  return value;
}

function toProtoKeyValue(kv: TestKeyValue): object {
  return { key: bytes(kv.key), value: toProtoValue(kv.value) };
}

function bytes(text: Text): Uint8Array {
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
}

function hexBytes(hex: string | undefined): Uint8Array {
  return Buffer.from(hex ?? '', 'hex');
}

export function protobufRequest(spans: TestSpan[], resource: TestKeyValue[] = []): Uint8Array {
  const message = ExportTraceServiceRequestType.fromObject({
    resourceSpans: [
      {
        resource: { attributes: resource.map(toProtoKeyValue) },
        scopeSpans: [
          {
            scope: { name: bytes('test-scope'), version: bytes('1.0') },
            spans: spans.map((s) => ({
              traceId: hexBytes(s.traceId),
              spanId: hexBytes(s.spanId),
              parentSpanId: hexBytes(s.parentSpanId),
              name: bytes(s.name ?? ''),
              kind: s.kind ?? 0,
              startTimeUnixNano: s.startTimeUnixNano ?? '0',
              endTimeUnixNano: s.endTimeUnixNano ?? '0',
              attributes: (s.attributes ?? []).map(toProtoKeyValue),
              events: (s.events ?? []).map((e) => ({
                timeUnixNano: e.timeUnixNano,
                name: bytes(e.name),
                attributes: (e.attributes ?? []).map(toProtoKeyValue),
              })),
              links: (s.links ?? []).map((l) => ({
                traceId: hexBytes(l.traceId),
                spanId: hexBytes(l.spanId),
                attributes: (l.attributes ?? []).map(toProtoKeyValue),
              })),
              status: s.status ? { code: s.status.code, message: bytes(s.status.message ?? '') } : undefined,
            })),
          },
        ],
      },
    ],
  });
  return ExportTraceServiceRequestType.encode(message).finish();
}

function toJsonValue(value: TestValue): object {
  if ('stringValue' in value) return { stringValue: text(value.stringValue) };
  if ('bytesValue' in value) return { bytesValue: Buffer.from(value.bytesValue).toString('base64') };
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(toJsonValue) } };
  if ('kvlistValue' in value)
    return { kvlistValue: { values: value.kvlistValue.values.map(toJsonKeyValue) } };
  return value;
}

function toJsonKeyValue(kv: TestKeyValue): object {
  return { key: text(kv.key), value: toJsonValue(kv.value) };
}

function text(value: Text): string {
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

export function jsonRequestObject(spans: TestSpan[], resource: TestKeyValue[] = []): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: resource.map(toJsonKeyValue) },
        scopeSpans: [
          {
            scope: { name: 'test-scope', version: '1.0' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name === undefined ? undefined : text(s.name),
              kind: s.kind,
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: (s.attributes ?? []).map(toJsonKeyValue),
              events: (s.events ?? []).map((e) => ({
                timeUnixNano: e.timeUnixNano,
                name: text(e.name),
                attributes: (e.attributes ?? []).map(toJsonKeyValue),
              })),
              links: (s.links ?? []).map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                attributes: (l.attributes ?? []).map(toJsonKeyValue),
              })),
              status: s.status
                ? { code: s.status.code, message: s.status.message && text(s.status.message) }
                : undefined,
            })),
          },
        ],
      },
    ],
  };
}

export function jsonRequest(spans: TestSpan[], resource: TestKeyValue[] = []): Uint8Array {
  return Buffer.from(JSON.stringify(jsonRequestObject(spans, resource)));
}

export function request(
  format: 'protobuf' | 'json',
  spans: TestSpan[],
  resource: TestKeyValue[] = [],
): Uint8Array {
  return format === 'protobuf' ? protobufRequest(spans, resource) : jsonRequest(spans, resource);
}
