/**
 * Pairing on spans as the OpenTelemetry JS SDK stamps them. Its spans start
 * at Date.now() (whole milliseconds) and end a performance.now() duration
 * later, so a search that ended a few microseconds before the model call
 * began can carry an end time after the call's start, by up to a millisecond.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { normalizeSpan } from '../../../src/normalize/index.ts';
import { decodeTraceRequest } from '../../../src/otlp/index.ts';
import { pairGenerations } from '../../../src/pipeline/assemble/pairing.ts';

const DOC = 'Refunds are available within 14 days of a purchase.';

describe('spans stamped by the OpenTelemetry JS SDK', () => {
  it('a search the app awaited before its model call feeds the answer, in every trace', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
    const tracer = provider.getTracer('rag-app');
    for (let i = 0; i < 200; i++) {
      const root = tracer.startSpan('POST /ask', { kind: SpanKind.SERVER });
      const ctx = trace.setSpan(context.active(), root);
      const retrieval = tracer.startSpan(
        'retrieval kb',
        {
          attributes: {
            'gen_ai.operation.name': 'retrieval',
            'gen_ai.provider.name': 'pgvector',
            'gen_ai.retrieval.documents': JSON.stringify([{ id: `doc-${i}`, content: DOC }]),
          },
        },
        ctx,
      );
      retrieval.end();
      const chat = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.input.messages': JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: 'How long do I have for a refund?' }] },
            ]),
            'gen_ai.output.messages': JSON.stringify([
              { role: 'assistant', parts: [{ type: 'text', content: '14 days.' }] },
            ]),
          },
        },
        ctx,
      );
      chat.end();
      root.end();
    }
    await provider.forceFlush();
    const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()) as Uint8Array;
    const byTrace = new Map<string, NonNullable<ReturnType<typeof normalizeSpan>>[]>();
    for (const record of decodeTraceRequest(body, 'protobuf').spans) {
      const span = normalizeSpan(record);
      if (span) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    }
    expect(byTrace.size).toBe(200);
    const unpaired = [...byTrace.values()].flatMap((spans) =>
      pairGenerations(spans).filter((p) => p.context.join() !== DOC),
    );
    expect(unpaired).toHaveLength(0);
  });
});
