import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';

/**
 * The real OpenTelemetry JS SDK exports to a running collector over both
 * OTLP/HTTP encodings; the spans must come out of ClickHouse with the values
 * that went in.
 */
type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  collector = await startTestCollector();
});
afterAll(async () => {
  await collector?.dispose();
});

const exporters = {
  protobuf: (url: string) =>
    new ProtoExporter({ url: `${url}/v1/traces`, headers: { authorization: `Bearer ${TEST_KEY}` } }),
  json: (url: string) => new JsonExporter({ url: `${url}/v1/traces`, headers: { 'x-api-key': TEST_KEY } }),
};

describe.each(Object.keys(exporters) as (keyof typeof exporters)[])('OTLP/HTTP %s export', (encoding) => {
  it('stores every span in otel_traces and the LLM step in llm_spans', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': `rag-app-${encoding}`,
        'deployment.environment': 'test',
      }),
      spanProcessors: [new BatchSpanProcessor({ exporter: exporters[encoding](collector.url) })],
    });
    const tracer = provider.getTracer('e2e', '1.0.0');
    const root = tracer.startSpan('POST /ask', { kind: SpanKind.SERVER });
    const traceId = root.spanContext().traceId;
    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.request.temperature': 0.2,
          'gen_ai.usage.input_tokens': 31,
          'gen_ai.usage.output_tokens': 7,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: 'What is our refund window?' }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: 'Thirty days.' }], finish_reason: 'stop' },
          ]),
        },
      },
      trace.setSpan(context.active(), root),
    );
    chat.setStatus({ code: SpanStatusCode.OK });
    chat.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();

    const store = collector.store;
    const traces = await waitFor(
      async () => {
        const rows = await store.query<{
          SpanName: string;
          SpanKind: string;
          ServiceName: string;
          ProjectId: string;
        }>(
          'SELECT SpanName, SpanKind, ServiceName, ProjectId FROM otel_traces WHERE TraceId = {id:String} ORDER BY SpanName',
          { params: { id: traceId } },
        );
        return rows.length === 2 ? rows : null;
      },
      15_000,
      'both spans in otel_traces',
    );
    expect(traces).toEqual([
      {
        SpanName: 'POST /ask',
        SpanKind: 'Server',
        ServiceName: `rag-app-${encoding}`,
        ProjectId: 'project-a',
      },
      {
        SpanName: 'chat gpt-4o-mini',
        SpanKind: 'Client',
        ServiceName: `rag-app-${encoding}`,
        ProjectId: 'project-a',
      },
    ]);

    const [llm] = await store.query<Record<string, unknown>>(
      `SELECT project_id, service_name, operation, provider, request_model, response_model,
              input_tokens, output_tokens, finish_reasons, prompt_text, completion_text, status
         FROM llm_spans WHERE trace_id = {id:String}`,
      { params: { id: traceId } },
    );
    expect(llm).toEqual({
      project_id: 'project-a',
      service_name: `rag-app-${encoding}`,
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 31,
      output_tokens: 7,
      finish_reasons: ['stop'],
      prompt_text: 'What is our refund window?',
      completion_text: 'Thirty days.',
      status: 'ok',
    });

    const evaluators = await store.query<{ evaluator: string }>(
      'SELECT DISTINCT evaluator FROM evaluations WHERE trace_id = {id:String} ORDER BY evaluator',
      { params: { id: traceId } },
    );
    expect(evaluators.map((e) => e.evaluator)).toEqual(
      expect.arrayContaining(['pii', 'prompt_injection', 'toxicity', 'refusal']),
    );
  });
});
