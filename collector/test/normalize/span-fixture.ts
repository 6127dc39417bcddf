import type { Attributes, SpanEvent, SpanRecord } from '../../src/otlp/span-record.ts';

/** A SpanRecord with the given attributes and sensible defaults for everything else. */
export function spanWith(attributes: Attributes, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: '',
    name: 'span',
    kind: 'Client',
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_001_000_000_000n,
    serviceName: 'app',
    resourceAttributes: { 'service.name': 'app' },
    scopeName: 'test',
    scopeVersion: '',
    attributes,
    events: [],
    links: [],
    statusCode: 'Unset',
    statusMessage: '',
    ...extra,
  };
}

export function event(name: string, attributes: Attributes): SpanEvent {
  return { timeUnixNano: 1_700_000_000_500_000_000n, name, attributes };
}
