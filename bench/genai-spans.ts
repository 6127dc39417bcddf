/**
 * GenAI chat spans as an instrumented app sends them: made by the real OTel
 * JS SDK, about 1.5 KB of prompt and completion each, their text drawn from
 * the evaluation corpus.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { decodeTraceRequest } from '../collector/src/otlp/index.ts';
import type { SpanRecord } from '../collector/src/otlp/span-record.ts';
import type { PositionedBatch } from '../collector/src/pipeline/index.ts';
import { texts } from './corpus.ts';

const PROMPT_CHARS = 1000;
const COMPLETION_CHARS = 500;
const MODELS = ['gpt-4o-mini', 'gpt-4.1', 'claude-sonnet-4-5'] as const;

const memory = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'bench-support-bot',
    'deployment.environment': 'bench',
  }),
  spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
});
const tracer = provider.getTracer('oversight-bench', '1.0.0');

/** `count` chat spans, each in its own trace; `offset` varies the texts between calls. */
export async function makeGenAiSpans(count: number, offset = 0): Promise<ReadableSpan[]> {
  const prompts = texts(count, PROMPT_CHARS, offset * 2);
  const completions = texts(count, COMPLETION_CHARS, offset * 2 + 1);
  for (let i = 0; i < count; i++) {
    const model = MODELS[(offset + i) % MODELS.length] as string;
    const span = tracer.startSpan(`chat ${model}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
        'gen_ai.request.model': model,
        'gen_ai.response.model': model,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 512,
        'gen_ai.usage.input_tokens': 250 + (i % 50),
        'gen_ai.usage.output_tokens': 120 + (i % 30),
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.response.id': `chatcmpl-${offset}-${i}`,
        'gen_ai.conversation.id': `conv-${(offset + i) % 97}`,
        'server.address': 'api.example.com',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', parts: [{ type: 'text', content: 'You are a helpful support assistant.' }] },
          { role: 'user', parts: [{ type: 'text', content: prompts[i] }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: completions[i] }], finish_reason: 'stop' },
        ]),
      },
    });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  memory.reset();
  return spans;
}

/** The same spans as the collector's decoder hands them to the pipeline. */
export function toSpanRecords(spans: ReadableSpan[]): SpanRecord[] {
  const body = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
  return decodeTraceRequest(body, 'protobuf').spans;
}

/** Spans cut into log entries of `perBatch`, as the drain reads them. */
export function toPositionedBatches(records: SpanRecord[], perBatch: number): PositionedBatch[] {
  const batches: PositionedBatch[] = [];
  for (let i = 0; i < records.length; i += perBatch) {
    batches.push({
      projectId: 'bench',
      receivedAt: Date.now(),
      spans: records.slice(i, i + perBatch),
      position: i,
    });
  }
  return batches;
}
