/**
 * Runs real SDK code (Oversight's guard and RAG step helpers, the AI SDK's
 * GenAI telemetry) against an in-memory exporter and returns what it emitted
 * as SpanRecords, so normalizer and enricher tests read real attributes.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { OpenTelemetry } from '@ai-sdk/otel';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { startMockLlm } from '@oversight/mock-llm';
import { generateText, tool } from 'ai';
import { z } from 'zod';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { toSpanRecord } from '../helpers/to-span-record.ts';

/**
 * Runs `body` with a global tracer provider (the SDK helpers use the global API) and returns its spans;
 * `processors` run before the exporter's (the SDK's context processor, for one).
 */
export async function captureGlobal(
  body: () => unknown,
  processors: SpanProcessor[] = [],
): Promise<SpanRecord[]> {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [...processors, new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  try {
    await body();
    await provider.forceFlush();
    return exporter.getFinishedSpans().map(toSpanRecord);
  } finally {
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
}

/** One `generateText` with a tool the model calls, traced by `@ai-sdk/otel`'s GenAI integration. */
export async function captureAiSdkToolCall(): Promise<SpanRecord[]> {
  const mock = await startMockLlm();
  try {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const openai = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'test-key' });
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      system: 'Be terse.',
      prompt: 'What is the weather in Oslo?',
      tools: {
        get_weather: tool({
          description: 'Current weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => `Sunny in ${city}`,
        }),
      },
      experimental_telemetry: {
        isEnabled: true,
        functionId: 'weather-bot',
        integrations: new OpenTelemetry({ tracer: provider.getTracer('ai') }),
      },
    });
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans().map(toSpanRecord);
    await provider.shutdown();
    return spans;
  } finally {
    await mock.close();
  }
}
