/**
 * Turns an in-process OTel SDK span into the SpanRecord the collector's
 * decoder would produce for it, so tests can feed spans captured from real
 * instrumentations straight into the normalizers without an OTLP round trip.
 */
import { type HrTime, type Attributes as OtelAttributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type {
  Attributes,
  AttributeValue,
  SpanKind as RecordSpanKind,
  SpanRecord,
  StatusCode,
} from '../../src/otlp/span-record.ts';

const kinds: Record<SpanKind, RecordSpanKind> = {
  [SpanKind.INTERNAL]: 'Internal',
  [SpanKind.SERVER]: 'Server',
  [SpanKind.CLIENT]: 'Client',
  [SpanKind.PRODUCER]: 'Producer',
  [SpanKind.CONSUMER]: 'Consumer',
};

const statuses: Record<SpanStatusCode, StatusCode> = {
  [SpanStatusCode.UNSET]: 'Unset',
  [SpanStatusCode.OK]: 'Ok',
  [SpanStatusCode.ERROR]: 'Error',
};

export function hrTimeToNanos([seconds, nanos]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

function toValue(value: unknown): AttributeValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toValue);
  return String(value);
}

export function toAttributes(attributes: OtelAttributes | undefined): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== undefined) out[key] = toValue(value);
  }
  return out;
}

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const resourceAttributes = toAttributes(span.resource.attributes as OtelAttributes);
  const serviceName = resourceAttributes['service.name'];
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: context.traceState?.serialize() ?? '',
    name: span.name,
    kind: kinds[span.kind],
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    serviceName: typeof serviceName === 'string' ? serviceName : '',
    resourceAttributes,
    scopeName: span.instrumentationScope.name,
    scopeVersion: span.instrumentationScope.version ?? '',
    attributes: toAttributes(span.attributes),
    events: span.events.map((e) => ({
      timeUnixNano: hrTimeToNanos(e.time),
      name: e.name,
      attributes: toAttributes(e.attributes),
    })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceState: l.context.traceState?.serialize() ?? '',
      attributes: toAttributes(l.attributes),
    })),
    statusCode: statuses[span.status.code],
    statusMessage: span.status.message ?? '',
  };
}
