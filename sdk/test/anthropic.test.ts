import Anthropic from '@anthropic-ai/sdk';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { initForTest, json, only } from './helpers.ts';

let mock: MockLlm;
let client: Anthropic;
const { handle, exporter } = initForTest();
const MODEL = 'claude-sonnet-4-5';

beforeAll(async () => {
  mock = await startMockLlm();
  client = instrument(new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 }));
});
afterAll(async () => {
  await handle.shutdown();
  await mock.close();
});
beforeEach(() => exporter.reset());

describe('anthropic messages', () => {
  it('records a message with system instructions, usage and cost', async () => {
    // top_k is still accepted by the API; this SDK version's types no longer list it.
    const params = {
      model: MODEL,
      max_tokens: 100,
      top_k: 40,
      system: 'You are terse.',
      messages: [{ role: 'user' as const, content: 'Explain tracing' }],
    };
    const m = await client.messages.create(params as Anthropic.MessageCreateParamsNonStreaming);
    // One LLM span per call: the SDK's own native span is switched off.
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    const span = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    expect(span.kind).toBe(SpanKind.CLIENT);
    const a = span.attributes;
    expect(a['gen_ai.provider.name']).toBe('anthropic');
    expect(a['gen_ai.request.max_tokens']).toBe(100);
    expect(a['gen_ai.request.top_k']).toBe(40);
    expect(a['gen_ai.response.id']).toBe(m.id);
    expect(a['gen_ai.response.finish_reasons']).toEqual([m.stop_reason]);
    expect(a['gen_ai.usage.input_tokens']).toBe(m.usage.input_tokens);
    expect(a['gen_ai.usage.output_tokens']).toBe(m.usage.output_tokens);
    expect(a['oversight.usage.cost_usd']).toBeCloseTo(
      (m.usage.input_tokens * 3 + m.usage.output_tokens * 15) / 1e6,
      12,
    );
    expect(json(span, 'gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(json(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Explain tracing' }] },
    ]);
    const text = m.content[0]?.type === 'text' ? m.content[0].text : '';
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: m.stop_reason },
    ]);
  });

  it('counts cache reads and writes in input tokens and prices each at its rate', async () => {
    const system = [
      {
        type: 'text' as const,
        text: 'A long reusable preamble about the product.',
        cache_control: { type: 'ephemeral' as const },
      },
    ];
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 50,
      system,
      messages: [{ role: 'user', content: 'q1' }],
    });
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 50,
      system,
      messages: [{ role: 'user', content: 'q2' }],
    });
    const [s1, s2] = exporter.getFinishedSpans();
    const write = first.usage.cache_creation_input_tokens ?? 0;
    const read = second.usage.cache_read_input_tokens ?? 0;
    expect(write).toBeGreaterThan(0);
    expect(read).toBeGreaterThan(0);
    expect(s1?.attributes['gen_ai.usage.cache_creation.input_tokens']).toBe(write);
    expect(s1?.attributes['gen_ai.usage.input_tokens']).toBe(first.usage.input_tokens + write);
    expect(s2?.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(read);
    expect(s2?.attributes['gen_ai.usage.input_tokens']).toBe(second.usage.input_tokens + read);
    const cost2 = (second.usage.input_tokens * 3 + read * 0.3 + second.usage.output_tokens * 15) / 1e6;
    expect(s2?.attributes['oversight.usage.cost_usd']).toBeCloseTo(cost2, 12);
  });

  it('records a streamed message with usage and time to first chunk', async () => {
    const stream = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'stream it now' }],
    });
    let text = '';
    for await (const e of stream)
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    const a = only(exporter.getFinishedSpans(), `chat ${MODEL}`).attributes;
    expect(a['gen_ai.usage.input_tokens']).toBe(3);
    expect(a['gen_ai.usage.output_tokens']).toBe(text.split(/\s+/).filter(Boolean).length);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['end_turn']);
    expect(a['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(JSON.parse(a['gen_ai.output.messages'] as string)[0].parts).toEqual([
      { type: 'text', content: text },
    ]);
  });

  it('records tool use, plain and streamed (messages.stream helper)', async () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: {
          type: 'object' as const,
          properties: { location: { type: 'string' } },
          required: ['location'],
        },
      },
    ];
    const m = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      tools,
      messages: [{ role: 'user', content: "What's the weather in Oslo?" }],
    });
    const use = m.content.find((b) => b.type === 'tool_use');
    expect(use?.type).toBe('tool_use');
    const final = await client.messages
      .stream({
        model: MODEL,
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: "What's the weather in Lima?" }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const [plain, streamed] = exporter.getFinishedSpans();
    expect(json(plain as ReadableSpan, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: use?.type === 'tool_use' ? use.id : '',
            name: 'get_weather',
            arguments: { location: 'Oslo' },
          },
        ],
        finish_reason: 'tool_use',
      },
    ]);
    expect(json(plain as ReadableSpan, 'gen_ai.tool.definitions')).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: tools[0]?.input_schema,
      },
    ]);
    const out = json(streamed as ReadableSpan, 'gen_ai.output.messages') as Array<{ parts: unknown[] }>;
    expect(out[0]?.parts).toContainEqual(
      expect.objectContaining({ type: 'tool_call', name: 'get_weather', arguments: { location: 'Lima' } }),
    );
    expect(streamed?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use']);
  });

  it('records tool results in the input as tool-role messages', async () => {
    await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'get_weather', input: { location: 'Oslo' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: '3 degrees' }] },
      ],
    });
    const span = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    const input = json(span, 'gen_ai.input.messages') as unknown[];
    expect(input[1]).toEqual({
      role: 'assistant',
      parts: [{ type: 'tool_call', id: 'tu_1', name: 'get_weather', arguments: { location: 'Oslo' } }],
    });
    expect(input[2]).toEqual({
      role: 'tool',
      parts: [{ type: 'tool_call_response', id: 'tu_1', response: '3 degrees' }],
    });
  });

  it("names a tool result's image instead of copying its base64 data onto the span", async () => {
    const data = Buffer.alloc(3_000, 7).toString('base64');
    await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'Chart it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_2', name: 'chart', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'tu_2',
              content: [
                { type: 'text', text: 'Here is the chart.' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
              ],
            },
          ],
        },
      ],
    });
    const span = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    expect(String(span.attributes['gen_ai.input.messages'])).not.toContain(data.slice(0, 100));
    expect((json(span, 'gen_ai.input.messages') as unknown[])[2]).toEqual({
      role: 'tool',
      parts: [
        {
          type: 'tool_call_response',
          id: 'tu_2',
          response: [
            { type: 'text', content: 'Here is the chart.' },
            { type: 'blob', modality: 'image', mime_type: 'image/png' },
          ],
        },
      ],
    });
  });

  it("keeps a tool result's search results and blocks of other kinds beside a named image", async () => {
    const data = Buffer.alloc(300, 7).toString('base64');
    await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'How do I reset my password?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_3', name: 'search', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'tu_3',
              content: [
                {
                  type: 'search_result',
                  source: 'https://help.example.com/reset',
                  title: 'Password reset',
                  content: [{ type: 'text', text: 'Open Settings, then Security.' }],
                },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
                { type: 'future_block', note: 'kept' },
              ],
            },
          ],
        },
      ],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    const span = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    expect((json(span, 'gen_ai.input.messages') as unknown[])[2]).toEqual({
      role: 'tool',
      parts: [
        {
          type: 'tool_call_response',
          id: 'tu_3',
          response: [
            { type: 'text', content: 'Password reset\nOpen Settings, then Security.' },
            { type: 'blob', modality: 'image', mime_type: 'image/png' },
            { type: 'future_block', note: 'kept' },
          ],
        },
      ],
    });
  });

  it('names the platform of a Bedrock or Vertex AI client, which share the Messages class', async () => {
    // The platform SDKs' clients are Anthropic subclasses by these names.
    class AnthropicBedrock extends Anthropic {}
    class AnthropicVertex extends Anthropic {}
    for (const [Client, provider] of [
      [AnthropicBedrock, 'aws.bedrock'],
      [AnthropicVertex, 'gcp.vertex_ai'],
      [Anthropic, 'anthropic'],
    ] as const) {
      exporter.reset();
      const platform = new Client({ apiKey: 'k', baseURL: mock.url, maxRetries: 0 });
      await platform.messages.create({
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(only(exporter.getFinishedSpans(), `chat ${MODEL}`).attributes['gen_ai.provider.name']).toBe(
        provider,
      );
    }
  });

  it('records calls through client.beta.messages, plain and streamed', async () => {
    const m = await client.beta.messages.create({
      model: MODEL,
      max_tokens: 50,
      betas: ['context-management-2025-06-27'],
      messages: [{ role: 'user', content: 'Explain spans' }],
    });
    const plain = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    expect(plain.attributes['gen_ai.response.id']).toBe(m.id);
    expect(plain.attributes['gen_ai.usage.output_tokens']).toBe(m.usage.output_tokens);
    expect(json(plain, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Explain spans' }] },
    ]);
    exporter.reset();
    const streamed = await client.beta.messages
      .stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'Stream spans' }] })
      .finalMessage();
    const span = only(exporter.getFinishedSpans(), `chat ${MODEL}`);
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(streamed.usage.output_tokens);
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual([streamed.stop_reason]);
  });

  it('records API errors', async () => {
    const err = await client.messages
      .create({ model: 'mock-error-429', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const span = only(exporter.getFinishedSpans(), 'chat mock-error-429');
    expect(span.attributes['error.type']).toBe('429');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });
});
