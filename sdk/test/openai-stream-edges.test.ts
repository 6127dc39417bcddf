/**
 * Streams as OpenAI-compatible servers and impatient apps produce them: a
 * local server answers each request with the SSE events a test scripts, and
 * the real `openai` client reads them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { instrument } from '../src/instrumentation/instrument.ts';
import { UNREAD_STREAM_MS } from '../src/instrumentation/stream-tap.ts';
import { initForTest, json, only } from './helpers.ts';

let server: Server;
let client: OpenAI;
let azure: AzureOpenAI;
/** The SSE events the next request is answered with. */
let events: unknown[] = [];
/** A JSON body to answer with instead of events (a non-streamed call). */
let reply: unknown;
const { handle, exporter } = initForTest();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (reply !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = instrument(new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }));
  azure = instrument(
    new AzureOpenAI({
      apiKey: 'k',
      endpoint: `http://127.0.0.1:${port}`,
      apiVersion: '2024-10-21',
      deployment: 'support-bot',
      maxRetries: 0,
    }),
  );
});
afterAll(async () => {
  await handle.shutdown();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  exporter.reset();
  reply = undefined;
});

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe('streamed chat completions', () => {
  it('keeps a tool name a compatible server repeats in every delta', async () => {
    const call = (args: string, first = false) => ({
      tool_calls: [
        {
          index: 0,
          ...(first ? { id: 'call_1', type: 'function' } : {}),
          function: { name: 'get_weather', arguments: args },
        },
      ],
    });
    events = [
      chunk({ role: 'assistant', ...call('', true) }),
      chunk(call('{"location":')),
      chunk(call('"Rome"}')),
      chunk({}, 'tool_calls'),
    ];
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
    });
    for await (const _ of stream) {
      // drain
    }
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Rome' } }],
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('records no finish reason for a stream the app broke off before it finished', async () => {
    events = [
      chunk({ role: 'assistant', content: 'Once' }),
      chunk({ content: ' upon' }),
      chunk({ content: ' a time.' }, 'stop'),
    ];
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'A story' }],
    });
    let seen = 0;
    for await (const _ of stream) if (++seen === 2) break;
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
    expect(span.attributes['gen_ai.response.id']).toBe('chatcmpl-1');
    expect((json(span, 'gen_ai.output.messages') as { parts: unknown[] }[])[0]?.parts).toEqual([
      { type: 'text', content: 'Once upon' },
    ]);
  });
});

describe('Azure OpenAI streams', () => {
  it("takes the answering model and id from the chunks after Azure's prompt-filter chunk", async () => {
    // Azure opens a stream with its prompt filter results: no choices, an empty id and model.
    events = [
      { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] },
      chunk({ role: 'assistant', content: 'Hi' }),
      chunk({}, 'stop'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 1000, completion_tokens: 100 } },
    ];
    // The model an Azure app names is its deployment's: only the response says which model answered.
    const stream = await azure.chat.completions.create({
      model: 'support-bot',
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    for await (const _ of stream) {
      // drain
    }
    const a = only(exporter.getFinishedSpans(), 'chat support-bot').attributes;
    expect(a['gen_ai.provider.name']).toBe('azure.ai.openai');
    expect(a['gen_ai.response.model']).toBe('gpt-4o-2024-08-06');
    expect(a['gen_ai.response.id']).toBe('chatcmpl-1');
    expect(a['oversight.usage.cost_usd']).toBe((1000 * 2.5 + 100 * 10) / 1e6);
  });
});

describe('several choices (n > 1)', () => {
  const choiceChunk = (index: number, delta: Record<string, unknown>, finish: string | null = null) => ({
    ...chunk(delta, finish),
    choices: [{ index, delta, finish_reason: finish }],
  });

  it('keeps one finish reason per choice, in order, when one has none', async () => {
    // A compatible server that leaves a choice's reason null.
    reply = {
      id: 'chatcmpl-2',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'A' }, finish_reason: null },
        { index: 1, message: { role: 'assistant', content: 'B' }, finish_reason: 'length' },
      ],
    };
    await client.chat.completions.create({
      model: 'gpt-4o',
      n: 2,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['', 'length']);
  });

  it('keeps each streamed choice at its index when the stream is broken off before one finished', async () => {
    events = [
      choiceChunk(0, { role: 'assistant', content: 'A' }),
      choiceChunk(2, { role: 'assistant', content: 'C' }, 'stop'),
      choiceChunk(1, { role: 'assistant', content: 'B' }, 'length'),
      choiceChunk(0, {}, 'stop'),
    ];
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      n: 3,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let seen = 0;
    for await (const _ of stream) if (++seen === 2) break;
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    // Choice 1 sent nothing yet: its place is kept, empty, as choice 0's is.
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['', '', 'stop']);
    expect(
      (json(span, 'gen_ai.output.messages') as { parts: { content: string }[] }[]).map(
        (m) => m.parts[0]?.content,
      ),
    ).toEqual(['A', undefined, 'C']);
  });
});

describe('a stream the app never reads', () => {
  it('ends its span as it is a while after the hand-over, dated at the hand-over', async () => {
    events = [chunk({ role: 'assistant', content: 'Never read' }, 'stop')];
    let startedAt = 0;
    let after = 0;
    // Fake from before the call: the timer is armed as the stream is handed over.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const before = Date.now();
      await client.chat.completions.create({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'Dropped' }],
      });
      after = Date.now();
      startedAt = before;
      vi.advanceTimersByTime(UNREAD_STREAM_MS - 1);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      vi.advanceTimersByTime(1);
    } finally {
      vi.useRealTimers();
    }
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    const endedAt = span.endTime[0] * 1_000 + span.endTime[1] / 1e6;
    expect(endedAt).toBeGreaterThanOrEqual(startedAt - 1);
    expect(endedAt).toBeLessThanOrEqual(after + 1);
  });

  it('ends it as an error when the app aborted the request it never read', async () => {
    events = [chunk({ role: 'assistant', content: 'Never read' }, 'stop')];
    const ac = new AbortController();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await client.chat.completions.create(
        { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Dropped' }] },
        { signal: ac.signal },
      );
      ac.abort();
      vi.advanceTimersByTime(UNREAD_STREAM_MS);
    } finally {
      vi.useRealTimers();
    }
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
  });

  it('leaves the span to the stream once the app starts reading it', async () => {
    events = [chunk({ role: 'assistant', content: 'Read' }, 'stop')];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let iterator: AsyncIterator<unknown>;
    try {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'Kept' }],
      });
      iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      vi.advanceTimersByTime(UNREAD_STREAM_MS);
    } finally {
      vi.useRealTimers();
    }
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    while (!(await iterator.next()).done) {
      // drain
    }
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
  });
});

describe('streamed responses', () => {
  const response = (status: string) => ({
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    model: 'gpt-4o-2024-08-06',
    status,
    output: [],
    usage: null,
  });

  it('records no finish reason for a stream broken off while the response was in progress', async () => {
    events = [
      { type: 'response.created', sequence_number: 0, response: response('in_progress') },
      { type: 'response.in_progress', sequence_number: 1, response: response('in_progress') },
      { type: 'response.completed', sequence_number: 2, response: response('completed') },
    ];
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'A story', stream: true });
    for await (const _ of stream) break;
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.attributes['gen_ai.response.id']).toBe('resp_1');
    expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
  });
});
