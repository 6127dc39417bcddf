import { createOpenAI } from '@ai-sdk/openai';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { embed, generateText, streamText, tool } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { OversightContextSpanProcessor, withContext } from '../src/context.ts';
import { aiTelemetry, instrumentVercelAI } from '../src/instrumentation/vercel-ai/index.ts';

const exporter = new InMemorySpanExporter();
let provider: TracerProvider;
let mock: MockLlm;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    spanProcessors: [new OversightContextSpanProcessor(), new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  mock = await startMockLlm();
  openai = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'x' });
});

afterAll(async () => {
  await mock.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

beforeEach(() => exporter.reset());
afterEach(() => {
  delete process.env.OVERSIGHT_CAPTURE_CONTENT;
});

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans() as ReadableSpan[];
}

function named(name: string): ReadableSpan {
  const span = spans().find((s) => s.name === name);
  if (!span) throw new Error(`no span "${name}" in ${spans().map((s) => s.name)}`);
  return span;
}

describe('aiTelemetry (GenAI conventions)', () => {
  it('traces generateText as invoke_agent > chat with model, usage, prompt and response', async () => {
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Hello there',
      experimental_telemetry: aiTelemetry({ functionId: 'greeter', metadata: { feature: 'greeting' } }),
    });
    expect(result.text).toBe('This is a mock answer to: Hello there');

    const root = named('invoke_agent greeter');
    const chat = named('chat gpt-4o-mini');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'greeter',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'oversight.metadata.feature': 'greeting',
    });
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2025-06-01',
      'gen_ai.usage.input_tokens': 2,
      'gen_ai.usage.output_tokens': 8,
      'oversight.metadata.feature': 'greeting',
    });
    expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Hello there' }] },
    ]);
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))[0].parts).toEqual([
      { type: 'text', content: 'This is a mock answer to: Hello there' },
    ]);
  });

  it('traces streamText with time to first chunk and usage', async () => {
    const result = streamText({
      model: openai('gpt-4o-mini'),
      prompt: 'Stream it',
      experimental_telemetry: aiTelemetry(),
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('This is a mock answer to: Stream it');
    await result.usage;
    const chat = named('chat gpt-4o-mini');
    expect(chat.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 2,
      'gen_ai.usage.output_tokens': 8,
      'gen_ai.response.model': 'gpt-4o-mini-2025-06-01',
    });
    expect(typeof chat.attributes['gen_ai.client.operation.time_to_first_chunk']).toBe('number');
  });

  it('traces embed as an embeddings span with token usage', async () => {
    const { embedding } = await embed({
      model: openai.embedding('text-embedding-3-small'),
      value: 'cats and dogs',
      experimental_telemetry: aiTelemetry(),
    });
    expect(embedding).toHaveLength(1536);
    const withUsage = spans().find(
      (s) =>
        s.name === 'embeddings text-embedding-3-small' && s.attributes['gen_ai.usage.input_tokens'] === 3,
    );
    expect(withUsage?.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
    });
  });

  it('marks the span around an embed call as a workflow, and the call inside as itself', async () => {
    for (const telemetry of [aiTelemetry(), aiTelemetry({ metadata: { feature: 'search' } })]) {
      exporter.reset();
      await embed({
        model: openai.embedding('text-embedding-3-small'),
        value: 'cats and dogs',
        experimental_telemetry: telemetry,
      });
      // Same name, same kind, same gen_ai.operation.name: only the mark tells the wrapper apart.
      const [outer, ...others] = spans().filter((s) => s.parentSpanContext === undefined);
      const inner = spans().filter((s) => s.parentSpanContext?.spanId === outer?.spanContext().spanId);
      expect(others).toEqual([]);
      expect(inner).toHaveLength(1);
      expect(outer?.name).toBe(inner[0]?.name);
      expect(outer?.attributes['oversight.operation.name']).toBe('invoke_workflow');
      expect(inner[0]?.attributes['oversight.operation.name']).toBeUndefined();
      expect(inner[0]?.attributes['gen_ai.usage.input_tokens']).toBe(3);
    }
    // Metadata still rides on both spans of the call that asked for it.
    for (const s of spans()) expect(s.attributes['oversight.metadata.feature']).toBe('search');
  });

  it('traces a tool the model called as execute_tool', async () => {
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'What is the weather in Oslo?',
      tools: {
        get_weather: tool({
          description: 'Current weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => `Sunny in ${city}`,
        }),
      },
      experimental_telemetry: aiTelemetry({ functionId: 'weather-bot' }),
    });
    const toolSpan = named('execute_tool get_weather');
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
    });
    expect(String(toolSpan.attributes['gen_ai.tool.call.arguments'])).toContain('Oslo');
    expect(String(toolSpan.attributes['gen_ai.tool.call.result'])).toContain('Sunny in Oslo');
    expect(toolSpan.spanContext().traceId).toBe(named('invoke_agent weather-bot').spanContext().traceId);
  });

  it('records no prompt or completion when content capture is off', async () => {
    process.env.OVERSIGHT_CAPTURE_CONTENT = 'false';
    const settings = aiTelemetry();
    expect(settings.recordInputs).toBe(false);
    expect(settings.recordOutputs).toBe(false);
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'private words',
      experimental_telemetry: settings,
    });
    const chat = named('chat gpt-4o-mini');
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(8);
    for (const span of spans()) {
      expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
    }
  });

  it('carries withContext session and user onto every AI SDK span', async () => {
    await withContext({ sessionId: 'chat-42', userId: 'ada' }, () =>
      generateText({
        model: openai.chat('gpt-4o-mini'),
        prompt: 'Hi',
        experimental_telemetry: aiTelemetry(),
      }),
    );
    expect(spans().length).toBeGreaterThanOrEqual(2);
    for (const span of spans()) {
      expect(span.attributes['gen_ai.conversation.id']).toBe('chat-42');
      expect(span.attributes['oversight.user.id']).toBe('ada');
    }
  });

  it('marks a failed model call as an error', async () => {
    await expect(
      generateText({
        model: openai.chat('mock-error-500'),
        prompt: 'Hi',
        maxRetries: 0,
        experimental_telemetry: aiTelemetry(),
      }),
    ).rejects.toThrow();
    const errored = spans().filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(errored.map((s) => s.name)).toContain('chat mock-error-500');
  });
});

describe('aiTelemetry legacy mode (ai.* attributes)', () => {
  it('emits the AI SDK attributes: model, usage, prompt and response', async () => {
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Hello there',
      experimental_telemetry: aiTelemetry({ functionId: 'legacy-fn', legacy: true }),
    });
    const outer = named('ai.generateText');
    expect(outer.attributes).toMatchObject({
      'ai.operationId': 'ai.generateText',
      'ai.telemetry.functionId': 'legacy-fn',
      'ai.model.provider': 'openai.chat',
      'ai.model.id': 'gpt-4o-mini',
      'ai.usage.inputTokens': 2,
      'ai.usage.outputTokens': 8,
      'ai.response.text': 'This is a mock answer to: Hello there',
    });
    expect(JSON.parse(String(outer.attributes['ai.prompt']))).toEqual({
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    const inner = named('ai.generateText.doGenerate');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.attributes).toMatchObject({
      'ai.response.model': 'gpt-4o-mini-2025-06-01',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 2,
      'gen_ai.usage.output_tokens': 8,
    });
  });

  it('emits ai.streamText.doStream with msToFirstChunk and ai.embed.doEmbed with tokens', async () => {
    const result = streamText({
      model: openai('gpt-4o-mini'),
      prompt: 'Stream it',
      experimental_telemetry: aiTelemetry({ legacy: true }),
    });
    for await (const _ of result.textStream) {
      // drain
    }
    await result.usage;
    await embed({
      model: openai.embedding('text-embedding-3-small'),
      value: 'cats',
      experimental_telemetry: aiTelemetry({ legacy: true }),
    });
    const stream = named('ai.streamText.doStream');
    expect(stream.attributes['ai.usage.outputTokens']).toBe(8);
    expect(typeof stream.attributes['ai.response.msToFirstChunk']).toBe('number');
    expect(named('ai.embed.doEmbed').attributes).toMatchObject({
      'ai.model.id': 'text-embedding-3-small',
      'ai.usage.tokens': 1,
    });
  });
});

describe('instrumentVercelAI', () => {
  it('traces calls that pass no telemetry settings at all', async () => {
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Untraced before' });
    expect(spans()).toHaveLength(0);
    expect(instrumentVercelAI()).toBe(true);
    expect(instrumentVercelAI()).toBe(true);
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Traced now' });
    // Registered once despite two calls: one chat span, not two.
    expect(spans().filter((s) => s.name === 'chat gpt-4o-mini')).toHaveLength(1);
    expect(named('chat gpt-4o-mini').attributes['gen_ai.usage.input_tokens']).toBe(2);
  });
});
