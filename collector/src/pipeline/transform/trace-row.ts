/** SpanRecord → one `otel_traces` row, as the OTel Collector ClickHouse exporter writes it. */
import type { SpanRecord } from '../../otlp/span-record.ts';
import type { Row } from '../../store/store.ts';
import { attributesToMap } from './attribute-string.ts';
import { durationNanos, toDateTime64 } from './time.ts';

export function toTraceRow(span: SpanRecord, projectId: string): Row {
  return {
    Timestamp: toDateTime64(span.startTimeUnixNano),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: span.traceState,
    SpanName: span.name,
    SpanKind: span.kind,
    ServiceName: span.serviceName,
    ResourceAttributes: attributesToMap(span.resourceAttributes),
    ScopeName: span.scopeName,
    ScopeVersion: span.scopeVersion,
    SpanAttributes: attributesToMap(span.attributes),
    Duration: durationNanos(span.startTimeUnixNano, span.endTimeUnixNano).toString(),
    StatusCode: span.statusCode,
    StatusMessage: span.statusMessage,
    'Events.Timestamp': span.events.map((event) => toDateTime64(event.timeUnixNano)),
    'Events.Name': span.events.map((event) => event.name),
    'Events.Attributes': span.events.map((event) => attributesToMap(event.attributes)),
    'Links.TraceId': span.links.map((link) => link.traceId),
    'Links.SpanId': span.links.map((link) => link.spanId),
    'Links.TraceState': span.links.map((link) => link.traceState),
    'Links.Attributes': span.links.map((link) => attributesToMap(link.attributes)),
    ProjectId: projectId,
  };
}
