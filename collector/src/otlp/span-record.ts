/**
 * One span as the decoder hands it on: OTLP flattened to what `otel_traces`
 * stores, whatever the wire format (protobuf or JSON) was.
 *
 * Attribute values keep their OTLP type (string, number, boolean, arrays and
 * maps as parsed JSON-like values) so normalizers can read numbers as numbers;
 * the store renders them to strings the way the OTel Collector's ClickHouse
 * exporter does (pcommon `AsString()`).
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** Spelled as the OTel Collector's ClickHouse exporter spells them. */
export type SpanKind = 'Unspecified' | 'Internal' | 'Server' | 'Client' | 'Producer' | 'Consumer';
export type StatusCode = 'Unset' | 'Ok' | 'Error';

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** Lower-case hex, 32 chars. */
  traceId: string;
  /** Lower-case hex, 16 chars. */
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** `service.name` of the resource, '' when absent. */
  serviceName: string;
  resourceAttributes: Attributes;
  scopeName: string;
  scopeVersion: string;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  statusCode: StatusCode;
  statusMessage: string;
}
