/**
 * Spans made by the real OTel JS SDK, with every attribute type, events, a
 * link, a remote parent with trace state and exact nanosecond times.
 */
import { context, createTraceState, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export const PARENT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceState: 'vendor=abc,other=xyz',
};
export const LINKED = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

/** 2026-01-01T00:00:00Z plus odd nanoseconds, as HrTime so no precision is lost. */
export const START: [number, number] = [1_767_225_600, 123_456_789];
export const EVENT_TIME: [number, number] = [1_767_225_600, 500_000_001];
export const END: [number, number] = [1_767_225_601, 987_654_321];
export const START_NS = 1_767_225_600_123_456_789n;
export const EVENT_NS = 1_767_225_600_500_000_001n;
export const END_NS = 1_767_225_601_987_654_321n;

export const SPAN_ATTRIBUTES = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o',
  unicode: 'héllo ✓ 𝄞',
  'gen_ai.usage.input_tokens': 1234,
  negative: -42,
  big: 2 ** 60,
  'gen_ai.request.temperature': 0.25,
  streaming: true,
  'gen_ai.response.finish_reasons': ['stop', 'length'],
  ints: [1, 2, 3],
  doubles: [0.5, 1.5],
  flags: [true, false],
  empty: [] as string[],
  raw: new Uint8Array([1, 2, 3, 250]),
  nested: { role: 'user', tokens: 7, parts: ['a', 'b'], meta: { ok: true } },
};

export async function makeSdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.2.3',
      'host.cpus': 2,
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('oversight-test', '0.9.0');
  const parentContext = trace.setSpanContext(context.active(), {
    traceId: PARENT.traceId,
    spanId: PARENT.spanId,
    traceFlags: TraceFlags.SAMPLED,
    traceState: createTraceState(PARENT.traceState),
    isRemote: true,
  });
  const span = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: START,
      // The SDK's attribute type is narrower than what it accepts and exports (bytes, maps).
      attributes: SPAN_ATTRIBUTES as never,
      links: [
        {
          context: { traceId: LINKED.traceId, spanId: LINKED.spanId, traceFlags: TraceFlags.SAMPLED },
          attributes: { 'link.reason': 'retry' },
        },
      ],
    },
    parentContext,
  );
  span.addEvent('gen_ai.choice', { index: 0, finish_reason: 'stop' }, EVENT_TIME);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  span.end(END);

  const root = tracer.startSpan('root op', { kind: SpanKind.SERVER, startTime: START });
  root.end(END);

  // SimpleSpanProcessor exports asynchronously.
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

export function serialize(spans: ReadableSpan[], format: 'protobuf' | 'json'): Uint8Array {
  const serializer = format === 'protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer;
  const body = serializer.serializeRequest(spans);
  if (!body) throw new Error(`the ${format} serializer returned nothing`);
  return body;
}
