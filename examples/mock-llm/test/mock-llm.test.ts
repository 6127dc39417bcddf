import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../src/index.ts';

let mock: MockLlm;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startMockLlm();
  openai = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'test-key' });
  anthropic = new Anthropic({ baseURL: mock.url, apiKey: 'test-key' });
});
afterAll(() => mock.close());

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location', 'unit'],
    },
  },
};

describe('openai chat completions', () => {
  it('answers deterministically with word-counted usage', async () => {
    const res = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe('This is a mock answer to: What is the capital of France?');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.model).toBe('gpt-4o-mini-2025-06-01');
    expect(res.system_fingerprint).toBe('fp_mock0001');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
    expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
    expect(mock.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200 });
  });

  it('answers from a Context: section and reports cached prefix tokens on a repeat', async () => {
    const system = 'Answer from the context. Context: Paris is the capital of France. It is large.';
    const ask = (q: string) =>
      openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: q },
        ],
      });
    const first = await ask('Capital of France?');
    const second = await ask('Which city is the capital?');
    expect(first.choices[0]?.message.content).toBe('Paris is the capital of France.');
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBe(14);
  });

  it('reports reasoning tokens for reasoning models and stops at max tokens', async () => {
    const res = await openai.chat.completions.create({
      model: 'o4-mini',
      messages: [{ role: 'user', content: 'one two three four five' }],
      max_completion_tokens: 3,
    });
    expect(res.choices[0]?.message.content).toBe('This is a');
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(3);
    expect(res.usage?.completion_tokens).toBe(6);
  });

  it('streams chunks and a final usage chunk only when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('This is a mock answer to: Tell me a story');
    expect(chunks).toBeGreaterThan(5);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 10 });

    const plain = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
    });
    let sawUsage = false;
    for await (const chunk of plain) if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
  });

  it('calls a matching tool, then answers from the tool result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Paris today?' },
    ];
    const res = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [weatherTool] });
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris', unit: 'celsius' });

    const assistant = res.choices[0]?.message;
    if (!assistant) throw new Error('expected a message');
    messages.push(assistant, {
      role: 'tool',
      tool_call_id: call.id,
      content: '21 degrees and sunny',
    });
    const follow = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [weatherTool] });
    expect(follow.choices[0]?.message.content).toBe('The get_weather tool returned: 21 degrees and sunny');
  });

  it('does not call an unrelated tool unless tool_choice forces it, and streams tool calls', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello' }];
    const free = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools: [weatherTool] });
    expect(free.choices[0]?.message.tool_calls).toBeUndefined();

    const stream = openai.chat.completions.stream({
      model: 'gpt-4o',
      messages,
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Say hello', unit: 'celsius' });
  });
});

describe('openai responses and embeddings', () => {
  it('answers a plain Responses request', async () => {
    const res = await openai.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Be brief.',
      input: 'Hi there',
    });
    expect(res.output_text).toBe('This is a mock answer to: Hi there');
    expect(res.status).toBe('completed');
    expect(res.usage).toMatchObject({ input_tokens: 4, output_tokens: 8, total_tokens: 12 });
    expect(res.usage?.input_tokens_details.cached_tokens).toBe(0);
  });

  it('streams Responses events ending in response.completed with usage', async () => {
    const stream = await openai.responses.create({
      model: 'gpt-4o-mini',
      input: 'Stream this',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('This is a mock answer to: Stream this');
    expect(usage).toMatchObject({ input_tokens: 2, output_tokens: 8 });
  });

  it('returns a function_call item for a matching tool', async () => {
    const res = await openai.responses.create({
      model: 'gpt-4o',
      input: [{ role: 'user', content: 'weather in Berlin please' }],
      tools: [
        { type: 'function', name: 'get_weather', parameters: weatherTool.function.parameters, strict: false },
      ],
    });
    const item = res.output[0];
    expect(item?.type).toBe('function_call');
    if (item?.type !== 'function_call') throw new Error('expected a function call');
    expect(JSON.parse(item.arguments)).toEqual({ location: 'Berlin', unit: 'celsius' });
  });

  it('embeds deterministically, normalised, honouring dimensions', async () => {
    const res = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['the cat sat', 'the cat sat', 'quantum chromodynamics'],
      dimensions: 64,
    });
    const [a = [], b, c = []] = res.data.map((d) => d.embedding);
    expect(a).toHaveLength(64);
    expect(a).toEqual(b);
    const norm = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
    const dot = a.reduce((s, v, i) => s + v * (c[i] ?? 0), 0);
    expect(Math.abs(dot)).toBeLessThan(0.9);
    expect(res.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
    const float = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'the cat sat',
      encoding_format: 'float',
    });
    expect(float.data[0]?.embedding).toHaveLength(1536);
    expect(float.data[0]?.embedding.slice(0, 5)).toEqual(
      (
        await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'the cat sat' })
      ).data[0]?.embedding.slice(0, 5),
    );
  });
});

describe('anthropic messages', () => {
  it('answers with usage including cache fields', async () => {
    const res = await anthropic.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      system: 'Be kind.',
      messages: [{ role: 'user', content: 'Hello Claude' }],
    });
    expect(res.content[0]).toEqual({ type: 'text', text: 'This is a mock answer to: Hello Claude' });
    expect(res.stop_reason).toBe('end_turn');
    expect(res.model).toBe('claude-sonnet-5-5');
    expect(res.usage).toMatchObject({
      input_tokens: 4,
      output_tokens: 8,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it('writes then reads a cache_control prefix', async () => {
    const ask = () =>
      anthropic.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 100,
        system: [
          { type: 'text', text: 'A long shared system prompt here', cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: 'Question one' }],
      });
    const first = await ask();
    const second = await ask();
    expect(first.usage).toMatchObject({
      input_tokens: 2,
      cache_creation_input_tokens: 6,
      cache_read_input_tokens: 0,
    });
    expect(second.usage).toMatchObject({
      input_tokens: 2,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 6,
    });
  });

  it('streams the full event sequence', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-haiku-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Stream please' }],
    });
    const types: string[] = [];
    let text = '';
    stream.on('streamEvent', (e) => types.push(e.type));
    stream.on('text', (t) => {
      text += t;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('This is a mock answer to: Stream please');
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_delta');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(final.usage.output_tokens).toBe(8);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('uses a tool by the same rule', async () => {
    const res = await anthropic.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      tools: [
        { name: 'get_weather', input_schema: weatherTool.function.parameters as Anthropic.Tool.InputSchema },
      ],
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
    });
    expect(res.stop_reason).toBe('tool_use');
    expect(res.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { location: 'Rome', unit: 'celsius' },
    });
  });
});

describe('errors and retries', () => {
  it('fails with the status the model name asks for, shaped like the real APIs', async () => {
    const err = await openai.chat.completions
      .create({ model: 'mock-error-400', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');

    const before = mock.requests.length;
    const limited = await openai.chat.completions
      .create({ model: 'mock-error-429', messages: [{ role: 'user', content: 'x' }] }, { maxRetries: 1 })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
    expect(mock.requests.length - before).toBe(2);

    const overloaded = await anthropic.messages
      .create(
        { model: 'mock-error-500', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { maxRetries: 0 },
      )
      .catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
  });

  it('lets a flaky model fail N times and then succeed, so client retries are visible', async () => {
    const before = mock.requests.length;
    const res = await openai.chat.completions.create({
      model: 'mock-flaky-2',
      messages: [{ role: 'user', content: 'retry me' }],
    });
    expect(res.choices[0]?.message.content).toBe('This is a mock answer to: retry me');
    const statuses = mock.requests.slice(before).map((r) => r.status);
    expect(statuses).toEqual([500, 500, 200]);

    const msg = await anthropic.messages.create({
      model: 'mock-flaky-1',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'again' }],
    });
    expect(msg.content[0]).toMatchObject({ type: 'text' });
  });

  it('rejects a request without messages with a 400', async () => {
    const err = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('scripted answers', () => {
  it('answers a matching question with its scripted text on every endpoint, others by the usual rules', async () => {
    const scripted = await startMockLlm({
      script: [{ question: /team plan cost/i, answer: 'The Team plan costs $15 per user per month.' }],
    });
    try {
      const client = new OpenAI({ baseURL: `${scripted.url}/v1`, apiKey: 'test-key' });
      const claude = new Anthropic({ baseURL: scripted.url, apiKey: 'test-key' });
      const messages = [
        { role: 'system' as const, content: 'Context: Team is $12 per user per month.' },
        { role: 'user' as const, content: 'How much does the Team plan cost?' },
      ];
      const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(chat.choices[0]?.message.content).toBe('The Team plan costs $15 per user per month.');
      expect(chat.usage?.completion_tokens).toBe(9);
      const response = await client.responses.create({ model: 'gpt-4o-mini', input: messages });
      expect(response.output_text).toBe('The Team plan costs $15 per user per month.');
      const msg = await claude.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'What does the team plan cost?' }],
      });
      expect(msg.content[0]).toMatchObject({
        type: 'text',
        text: 'The Team plan costs $15 per user per month.',
      });
      const other = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [messages[0] as OpenAI.ChatCompletionMessageParam, { role: 'user', content: 'Refunds?' }],
      });
      expect(other.choices[0]?.message.content).toBe('Team is $12 per user per month.');
    } finally {
      await scripted.close();
    }
  });
});
