import {
  type DiagLogger,
  DiagLogLevel,
  diag,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { ContentPolicy } from '../src/content.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { OpenAIInstrumentation } from '../src/instrumentation/openai/instrumentation.ts';
import { resetDiagnostics } from '../src/safe.ts';
import { initForTest, json, only } from './helpers.ts';

let mock: MockLlm;
let client: OpenAI;
const { handle, exporter } = initForTest();

beforeAll(async () => {
  mock = await startMockLlm();
  client = instrument(new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 2 }));
});
afterAll(async () => {
  await handle.shutdown();
  await mock.close();
});
beforeEach(() => exporter.reset());

const port = () => Number(new URL(mock.url).port);

describe('chat completions', () => {
  it('records request, response, usage, cost and content', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is OTel?' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['END'],
    });
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    const a = span.attributes;
    expect(a['gen_ai.operation.name']).toBe('chat');
    expect(a['gen_ai.provider.name']).toBe('openai');
    expect(a['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(a['gen_ai.request.max_tokens']).toBe(50);
    expect(a['gen_ai.request.temperature']).toBe(0.2);
    expect(a['gen_ai.request.top_p']).toBe(0.9);
    expect(a['gen_ai.request.seed']).toBe(7);
    expect(a['gen_ai.request.stop_sequences']).toEqual(['END']);
    expect(a['server.address']).toBe('127.0.0.1');
    expect(a['server.port']).toBe(port());
    expect(a['gen_ai.response.id']).toBe(r.id);
    expect(a['gen_ai.response.model']).toBe(r.model);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(a['gen_ai.usage.input_tokens']).toBe(r.usage?.prompt_tokens);
    expect(a['gen_ai.usage.output_tokens']).toBe(r.usage?.completion_tokens);
    const input = r.usage?.prompt_tokens ?? 0;
    const output = r.usage?.completion_tokens ?? 0;
    expect(a['oversight.usage.cost_usd']).toBeCloseTo((input * 0.15 + output * 0.6) / 1e6, 12);
    expect(json(span, 'gen_ai.input.messages')).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is OTel?' }] },
    ]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: r.choices[0]?.message.content }],
        finish_reason: 'stop',
      },
    ]);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('keeps the APIPromise: withResponse() still works', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toContain('hi');
    expect(only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes['gen_ai.response.id']).toBe(
      data.id,
    );
  });

  it('ends the span when the app takes the raw Response with asResponse()', async () => {
    const response = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'raw' }] })
      .asResponse();
    expect(response.status).toBe(200);
    // The app can still read the body the span never parsed.
    expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('streams: asks for usage, hides the extra chunk, records usage and time to first chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'stream this please' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    // What the app sees is what it asked for: no usage chunk, no usage fields.
    expect(chunks.every((c) => c.choices.length > 0 && !('usage' in c))).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const sent = mock.requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);

    const a = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes;
    expect(a['gen_ai.request.stream']).toBe(true);
    expect(a['gen_ai.usage.input_tokens']).toBe(3);
    expect(a['gen_ai.usage.output_tokens']).toBe(text.split(/\s+/).filter(Boolean).length);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(a['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(JSON.parse(a['gen_ai.output.messages'] as string)[0].parts[0].content).toBe(text);
  });

  it('streams: leaves the usage chunk when the app asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count me' }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBe(2);
    const a = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes;
    expect(a['oversight.stream.usage_injected']).toBeUndefined();
    expect(a['gen_ai.usage.input_tokens']).toBe(2);
  });

  it('streams through tee(): both branches see the same chunks, the usage chunk hidden from both', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'tee this stream' }],
    });
    const [left, right] = stream.tee();
    const read = async (s: typeof left) => {
      const out: OpenAI.ChatCompletionChunk[] = [];
      for await (const c of s) out.push(c);
      return out;
    };
    const [a, b] = await Promise.all([read(left), read(right)]);
    expect(a.length).toBeGreaterThan(1);
    expect(b.map((c) => c.choices[0]?.delta.content)).toEqual(a.map((c) => c.choices[0]?.delta.content));
    expect([...a, ...b].every((c) => c.choices.length > 0 && !('usage' in c))).toBe(true);
    const text = a.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini');
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(text.split(/\s+/).filter(Boolean).length);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
  });

  it('applies a new instrumentation config from the next call on', async () => {
    const inst = handle.instrumentations.find((i) => i instanceof OpenAIInstrumentation);
    if (!inst) throw new Error('no OpenAI instrumentation registered');
    const before = inst.getConfig();
    const ask = () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'config' }],
      });
    try {
      inst.setConfig({ ...before, content: new ContentPolicy({ captureContent: false }) });
      await ask();
      const off = exporter.getFinishedSpans().at(-1)?.attributes ?? {};
      expect(off['gen_ai.input.messages']).toBeUndefined();
      expect(off['gen_ai.output.messages']).toBeUndefined();
      expect(off['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      inst.setConfig({ ...before, content: new ContentPolicy({ redact: (t) => t.toUpperCase() }) });
      await ask();
      const redacted = exporter.getFinishedSpans().at(-1);
      expect(redacted && json(redacted, 'gen_ai.input.messages')).toEqual([
        { role: 'user', parts: [{ type: 'text', content: 'CONFIG' }] },
      ]);
    } finally {
      inst.setConfig(before);
    }
    await ask();
    const restored = exporter.getFinishedSpans().at(-1);
    expect(restored && json(restored, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'config' }] },
    ]);
  });

  const weatherTool = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
  };

  it('records tool calls and tool definitions', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [{ role: 'user', content: "What's the weather in Paris?" }],
    });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(json(span, 'gen_ai.tool.definitions')).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: weatherTool.function.parameters,
      },
    ]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: call?.id, name: 'get_weather', arguments: { location: 'Paris' } }],
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('rebuilds streamed tool calls', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      tools: [weatherTool],
      messages: [{ role: 'user', content: "What's the weather in Rome?" }],
    });
    for await (const _ of stream) {
      // drain
    }
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    const out = json(span, 'gen_ai.output.messages') as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(out[0]?.parts[0]).toMatchObject({
      type: 'tool_call',
      name: 'get_weather',
      arguments: { location: 'Rome' },
    });
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
  });

  it('prices cached input tokens at the cached rate', async () => {
    const history = [
      { role: 'system' as const, content: 'You are a helpful assistant with a long shared preamble.' },
      { role: 'user' as const, content: 'first question here' },
    ];
    await client.chat.completions.create({ model: 'gpt-4o', messages: history });
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [...history, { role: 'user', content: 'second question' }],
    });
    const cached = r.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    const span = exporter.getFinishedSpans().at(-1);
    const a = span?.attributes ?? {};
    expect(a['gen_ai.usage.cache_read.input_tokens']).toBe(cached);
    const input = r.usage?.prompt_tokens ?? 0;
    const output = r.usage?.completion_tokens ?? 0;
    const expected = ((input - cached) * 2.5 + cached * 1.25 + output * 10) / 1e6;
    expect(a['oversight.usage.cost_usd']).toBeCloseTo(expected, 12);
  });

  it('records errors with error.type and lets the app see the same error', async () => {
    const err = await client.chat.completions
      .create({ model: 'mock-error-400', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const span = only(exporter.getFinishedSpans(), 'chat mock-error-400');
    expect(span.attributes['error.type']).toBe('400');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('names the provider whose OpenAI-compatible API the client is pointed at', async () => {
    // The request goes to the mock whatever host the client was given.
    const toMock: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return fetch(`${mock.url}/v1${url.pathname.slice(url.pathname.indexOf('/chat/'))}`, init);
    };
    for (const [baseURL, provider] of [
      ['https://api.groq.com/openai/v1', 'groq'],
      ['https://generativelanguage.googleapis.com/v1beta/openai', 'gcp.gemini'],
      ['https://my-resource.openai.azure.com/openai/v1', 'azure.ai.openai'],
      ['https://gov-resource.openai.azure.us/openai/v1', 'azure.ai.openai'],
      ['https://cn-resource.cognitiveservices.azure.cn/openai/v1', 'azure.ai.openai'],
      ['https://llm-proxy.internal.example/v1', 'openai'],
    ] as const) {
      exporter.reset();
      const compatible = instrument(new OpenAI({ apiKey: 'k', baseURL, fetch: toMock, maxRetries: 0 }));
      await compatible.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const a = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes;
      expect([a['server.address'], a['gen_ai.provider.name']]).toEqual([new URL(baseURL).hostname, provider]);
    }
  });

  it('covers retries with one span', async () => {
    const r = await client.chat.completions.create({
      model: 'mock-flaky-1',
      messages: [{ role: 'user', content: 'retry' }],
    });
    expect(r.choices[0]?.message.content).toContain('retry');
    const span = only(exporter.getFinishedSpans(), 'chat mock-flaky-1');
    expect(span.attributes['oversight.request.retried']).toBe(true);
    expect(span.attributes['error.type']).toBeUndefined();
  });
});

describe('responses API', () => {
  it('records a response', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Answer shortly.',
      input: 'Tell me a fact',
      max_output_tokens: 40,
    });
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini');
    const a = span.attributes;
    expect(a['gen_ai.response.id']).toBe(r.id);
    expect(a['gen_ai.request.max_tokens']).toBe(40);
    expect(a['gen_ai.usage.input_tokens']).toBe(r.usage?.input_tokens);
    expect(a['gen_ai.usage.output_tokens']).toBe(r.usage?.output_tokens);
    expect(json(span, 'gen_ai.system_instructions')).toEqual([{ type: 'text', content: 'Answer shortly.' }]);
    expect(json(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Tell me a fact' }] },
    ]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: r.output_text }], finish_reason: 'stop' },
    ]);
  });

  it("names an image in a function call's output instead of copying its data URL onto the span", async () => {
    const dataUrl = `data:image/png;base64,${Buffer.alloc(3_000, 7).toString('base64')}`;
    await client.responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'user', content: 'Chart it' },
        { type: 'function_call', call_id: 'fc_1', name: 'chart', arguments: '{}' },
        {
          type: 'function_call_output',
          call_id: 'fc_1',
          output: [
            { type: 'input_text', text: 'Here is the chart.' },
            { type: 'input_image', image_url: dataUrl, detail: 'auto' },
          ],
        },
      ],
    });
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini');
    expect(String(span.attributes['gen_ai.input.messages'])).not.toContain(dataUrl.slice(0, 100));
    expect((json(span, 'gen_ai.input.messages') as unknown[])[2]).toEqual({
      role: 'tool',
      parts: [
        {
          type: 'tool_call_response',
          id: 'fc_1',
          response: [
            { type: 'text', content: 'Here is the chart.' },
            { type: 'blob', modality: 'image', mime_type: 'image/png' },
          ],
        },
      ],
    });
  });

  it('records a streamed response from its completed event', async () => {
    const stream = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Stream a fact',
      stream: true,
    });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    const a = only(exporter.getFinishedSpans(), 'chat gpt-4o-mini').attributes;
    expect(a['gen_ai.usage.output_tokens']).toBe(text.split(/\s+/).filter(Boolean).length);
    expect(a['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(JSON.parse(a['gen_ai.output.messages'] as string)[0].parts[0].content).toBe(text);
  });
});

describe('embeddings', () => {
  it('records dimensions, input tokens and cost', async () => {
    const r = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['one two three', 'four'],
    });
    const a = only(exporter.getFinishedSpans(), 'embeddings text-embedding-3-small').attributes;
    expect(a['gen_ai.operation.name']).toBe('embeddings');
    expect(a['gen_ai.embeddings.dimension.count']).toBe(r.data[0]?.embedding.length);
    expect(a['gen_ai.usage.input_tokens']).toBe(r.usage.prompt_tokens);
    expect(a['oversight.usage.cost_usd']).toBeCloseTo((r.usage.prompt_tokens * 0.02) / 1e6, 12);
  });
});

describe('start-or-bypass', () => {
  it('calls the original when the span cannot start, and says so once through diag', async () => {
    const inst = handle.instrumentations.find((i) => i instanceof OpenAIInstrumentation);
    if (!inst) throw new Error('no OpenAI instrumentation registered');
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: () => {},
      // A component logger passes its namespace first, then the message.
      warn: (...args) => warnings.push(args.join(' ')),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const broken: TracerProvider = {
      getTracer: () =>
        ({
          startSpan: () => {
            throw new TypeError('tracer broke');
          },
        }) as unknown as Tracer,
    };
    try {
      inst.setTracerProvider(broken);
      const answers: string[] = [];
      for (const q of ['first', 'second']) {
        const r = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: q }],
        });
        answers.push(r.choices[0]?.message.content ?? '');
      }
      expect(answers.every((a) => a.length > 0)).toBe(true);
      expect(exporter.getFinishedSpans()).toEqual([]);
      const ours = warnings.filter((w) => w.includes('chat.completions.create'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toContain('TypeError');
    } finally {
      diag.disable();
      inst.setTracerProvider(trace.getTracerProvider());
    }
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'back' }],
    });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});

describe('manual patching', () => {
  it("says once, in one line, that another vendor's wrapper is left in place", () => {
    class Completions {
      create() {
        return 'original';
      }
    }
    const original = Completions.prototype.create;
    // What shimmer (OpenLLMetry, OTel contrib) leaves on a method it wrapped.
    const theirs = Object.assign(
      function (this: unknown) {
        return original.call(this);
      },
      { __original: original, __unwrap: () => {}, __wrapped: true },
    );
    Completions.prototype.create = theirs;
    const lines: string[] = [];
    resetDiagnostics();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const manual = new OpenAIInstrumentation({ enabled: false });
      manual.patchModule({ OpenAI: { Chat: { Completions } } });
      manual.patchModule({ OpenAI: { Chat: { Completions } } });
    } finally {
      write.mockRestore();
    }
    expect(Completions.prototype.create).toBe(theirs);
    expect(lines).toEqual([
      '[oversight] another instrumentation already wraps Completions.create() (@oversight/instrumentation-openai); Oversight leaves it be and records no spans for those calls\n',
    ]);
  });

  it('patchModule and unpatchModule are symmetric on a module the hooks did not patch for this instance', async () => {
    const registered = handle.instrumentations.find((i) => i instanceof OpenAIInstrumentation);
    if (!(registered instanceof OpenAIInstrumentation))
      throw new Error('no OpenAI instrumentation registered');
    const openaiModule = await import('openai');
    const manual = new OpenAIInstrumentation({ enabled: false });
    const ask = () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'manual' }],
      });
    try {
      manual.patchModule(openaiModule);
      await ask();
      expect(exporter.getFinishedSpans().map((s) => s.instrumentationScope.name)).toEqual([
        '@oversight/instrumentation-openai',
      ]);
      manual.unpatchModule(openaiModule);
      exporter.reset();
      await ask();
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      registered.patchClient(client);
    }
    exporter.reset();
    await ask();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
