import { createOpenAI } from '@ai-sdk/openai';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { embed, generateText } from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { aiTelemetry, instrumentVercelAI } from '../src/instrumentation/vercel-ai/index.ts';
import { initForTest } from './helpers.ts';

/**
 * The AI SDK writes prompts and answers through its own telemetry; init()'s
 * pipeline puts them through the content policy before they are exported.
 */
const { handle, exporter } = initForTest({
  redact: (text) => text.replaceAll('Oslo', '[CITY]'),
  maxContentLength: 30,
});
let mock: MockLlm;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  mock = await startMockLlm();
  openai = createOpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'x' });
  instrumentVercelAI();
});
afterAll(async () => {
  await handle.shutdown();
  await mock.close();
});
beforeEach(() => exporter.reset());
afterEach(() => {
  delete process.env.OVERSIGHT_CAPTURE_CONTENT;
});

const named = (name: string) => {
  const span = (exporter.getFinishedSpans() as ReadableSpan[]).find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span;
};

describe('the content policy on AI SDK spans', () => {
  it('redacts and caps each message text, and the messages stay JSON', async () => {
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Is it raining in Oslo?' });
    const chat = named('chat gpt-4o-mini');
    const input = JSON.parse(String(chat.attributes['gen_ai.input.messages']));
    expect(JSON.stringify(input)).toContain('Is it raining in [CITY]?');
    expect(JSON.stringify(input)).not.toContain('Oslo');
    const output = JSON.parse(String(chat.attributes['gen_ai.output.messages']));
    // "This is a mock answer to: Is it raining in [CITY]?" cut at 30 characters.
    expect(JSON.stringify(output)).toContain('"This is a mock answer to: Is i"');
    expect(chat.attributes['oversight.content.truncated']).toBe(true);
  });

  it("covers the AI SDK's own ai.* attributes too", async () => {
    await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'Oslo',
      experimental_telemetry: aiTelemetry({ legacy: true }),
    });
    const outer = named('ai.generateText');
    expect(JSON.parse(String(outer.attributes['ai.prompt']))).toEqual({
      messages: [{ role: 'user', content: '[CITY]' }],
    });
    expect(outer.attributes['ai.response.text']).toBe('This is a mock answer to: [CIT');
  });

  it("puts embed()'s texts (ai.value, ai.values) through the policy, and drops them with capture off", async () => {
    await embed({
      model: openai.embedding('text-embedding-3-small'),
      value: 'Oslo in May',
      experimental_telemetry: aiTelemetry({ legacy: true }),
    });
    const spans = exporter.getFinishedSpans() as ReadableSpan[];
    const values = spans.flatMap((s) => [s.attributes['ai.value'], s.attributes['ai.values']]);
    // The AI SDK writes each text JSON-quoted: redacted inside the quotes.
    expect(values.filter((v) => v !== undefined).map(String)).toEqual(
      expect.arrayContaining([expect.stringContaining('[CITY] in May')]),
    );
    expect(JSON.stringify(values)).not.toContain('Oslo');
    exporter.reset();
    process.env.OVERSIGHT_CAPTURE_CONTENT = 'false';
    await embed({
      model: openai.embedding('text-embedding-3-small'),
      value: 'Oslo in May',
      experimental_telemetry: aiTelemetry({ legacy: true }),
    });
    const off = exporter.getFinishedSpans() as ReadableSpan[];
    expect(off.length).toBeGreaterThan(0);
    for (const s of off) {
      expect(s.attributes['ai.value']).toBeUndefined();
      expect(s.attributes['ai.values']).toBeUndefined();
    }
  });

  it("prices the AI SDK's model calls, not the agent span that repeats their totals", async () => {
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Price me' });
    const chat = named('chat gpt-4o-mini').attributes;
    expect(chat['gen_ai.response.model']).toBe('gpt-4o-mini-2025-06-01');
    const input = chat['gen_ai.usage.input_tokens'] as number;
    const output = chat['gen_ai.usage.output_tokens'] as number;
    expect(output).toBeGreaterThan(0);
    expect(chat['oversight.usage.cost_usd']).toBeCloseTo((input * 0.15 + output * 0.6) / 1e6, 12);
    const agent = (exporter.getFinishedSpans() as ReadableSpan[]).find(
      (s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent',
    );
    expect(agent?.attributes['gen_ai.usage.output_tokens']).toBe(output);
    expect(agent?.attributes['oversight.usage.cost_usd']).toBeUndefined();
    exporter.reset();
    await embed({ model: openai.embedding('text-embedding-3-small'), value: 'Price this too' });
    const embeddings = (exporter.getFinishedSpans() as ReadableSpan[]).filter(
      (s) => s.attributes['gen_ai.operation.name'] === 'embeddings',
    );
    const priced = embeddings.filter((s) => s.attributes['oversight.usage.cost_usd'] !== undefined);
    expect(priced).toHaveLength(1);
    const tokens = priced[0]?.attributes['gen_ai.usage.input_tokens'] as number;
    expect(priced[0]?.attributes['oversight.usage.cost_usd']).toBeCloseTo((tokens * 0.02) / 1e6, 12);
  });

  it('puts each text of a list-valued content attribute through the policy, or drops the list', () => {
    // A library writing its texts as a string array: no text may pass the policy unread.
    const span = trace.getTracer('ai').startSpan('ai.custom');
    span.setAttribute('ai.prompt.messages', ['Oslo in May', 'Bergen']);
    span.end();
    expect(named('ai.custom').attributes['ai.prompt.messages']).toEqual(['[CITY] in May', 'Bergen']);
    exporter.reset();
    process.env.OVERSIGHT_CAPTURE_CONTENT = 'false';
    const off = trace.getTracer('ai').startSpan('ai.custom');
    off.setAttribute('ai.prompt.messages', ['Oslo in May']);
    off.end();
    expect(named('ai.custom').attributes['ai.prompt.messages']).toBeUndefined();
  });

  it('drops the content when capture is off, whatever the AI SDK was told to record', async () => {
    process.env.OVERSIGHT_CAPTURE_CONTENT = 'false';
    await generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Is it raining in Oslo?' });
    const chat = named('chat gpt-4o-mini');
    expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  });
});
