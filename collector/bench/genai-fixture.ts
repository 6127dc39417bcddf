/**
 * Realistic GenAI spans made by the real OTel JS SDK, so decode benchmarks
 * measure what an instrumented app actually sends.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

const QUESTION =
  'Summarise the refund policy for orders shipped internationally, including the timelines, ' +
  'who pays return shipping, and what happens with customs duties that were already paid. ';
const ANSWER =
  'International orders can be returned within 30 days of delivery. Return shipping is paid by ' +
  'the customer unless the item arrived damaged. Customs duties are refunded only when the carrier ' +
  'confirms they can be reclaimed; otherwise the refund covers the item price and original shipping. ';

/** About 1.5 KB of prompt and completion content per span. */
function content(i: number): { input: string; output: string } {
  const input = JSON.stringify([
    { role: 'system', parts: [{ type: 'text', content: 'You are a helpful support assistant.' }] },
    { role: 'user', parts: [{ type: 'text', content: `${QUESTION.repeat(3)} (#${i})` }] },
  ]);
  const output = JSON.stringify([
    { role: 'assistant', parts: [{ type: 'text', content: ANSWER.repeat(2) }], finish_reason: 'stop' },
  ]);
  return { input, output };
}

export async function makeGenAiSpans(count: number): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app', 'deployment.environment': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench-genai', '1.0.0');
  for (let i = 0; i < count; i++) {
    const { input, output } = content(i);
    const span = tracer.startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 512,
        'gen_ai.usage.input_tokens': 120 + (i % 50),
        'gen_ai.usage.output_tokens': 80 + (i % 30),
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.response.id': `chatcmpl-${i}`,
        'server.address': 'api.openai.com',
        'gen_ai.input.messages': input,
        'gen_ai.output.messages': output,
      },
    });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
  }
  // SimpleSpanProcessor exports asynchronously.
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}
