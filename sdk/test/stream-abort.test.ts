/**
 * Streams cut short: the app aborts the request, or the connection drops
 * mid-stream. A local server sends a few SSE events and then holds the
 * response open (or destroys the socket); the real clients read them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrument } from '../src/instrumentation/instrument.ts';
import { initForTest, json, only } from './helpers.ts';

let server: Server;
let openai: OpenAI;
let anthropic: Anthropic;
/** What the server does after its events: hold the response open, or cut the connection. */
let after: 'hold' | 'cut' = 'hold';
const held = new Set<ServerResponse>();
const { handle, exporter } = initForTest();

const chatChunk = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});
const anthropicEvents = [
  {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5, output_tokens: 0 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Once' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' upon' } },
];

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url?.includes('/messages')) {
      for (const e of anthropicEvents) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    } else if (req.url?.includes('/responses')) {
      for (const [n, type] of ['response.created', 'response.in_progress'].entries())
        res.write(`event: ${type}\ndata: ${JSON.stringify(responseEvent(type, n))}\n\n`);
    } else {
      for (const c of ['Once', ' upon']) res.write(`data: ${JSON.stringify(chatChunk(c))}\n\n`);
    }
    if (after === 'cut') setImmediate(() => res.socket?.destroy());
    else held.add(res);
  });
}

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const baseURL = `http://127.0.0.1:${port}`;
  openai = instrument(new OpenAI({ apiKey: 'k', baseURL: `${baseURL}/v1`, maxRetries: 0 }));
  anthropic = instrument(new Anthropic({ apiKey: 'k', baseURL, maxRetries: 0 }));
});
afterAll(async () => {
  await handle.shutdown();
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  exporter.reset();
  after = 'hold';
});

const responseEvent = (type: string, n: number) => ({
  type,
  sequence_number: n,
  response: {
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    model: 'gpt-4o',
    status: 'in_progress',
    output: [],
    usage: null,
  },
});

/** Reads the stream, calling `abort` once two chunks arrived, to the end the client gives it. */
async function readAndAbort(stream: AsyncIterable<unknown>, abort: () => void): Promise<number> {
  let seen = 0;
  for await (const _ of stream) if (++seen === 2) abort();
  return seen;
}

const chat = (signal?: AbortSignal) =>
  openai.chat.completions.create(
    { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'A story' }] },
    { signal },
  );
const message = (signal?: AbortSignal) =>
  anthropic.messages.create(
    {
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'A story' }],
    },
    { signal },
  );

function outputText(span: ReadableSpan): unknown {
  return (json(span, 'gen_ai.output.messages') as { parts: unknown[] }[])[0]?.parts;
}

describe('a stream whose request the app aborts', () => {
  it('openai: ends the span as an AbortError, keeping what arrived before', async () => {
    const ac = new AbortController();
    // The client ends the loop quietly, as if the stream were complete.
    expect(await readAndAbort(await chat(ac.signal), () => ac.abort())).toBe(2);
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
    expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
    expect(span.attributes['gen_ai.response.id']).toBe('chatcmpl-1');
    expect(outputText(span)).toEqual([{ type: 'text', content: 'Once upon' }]);
  });

  it('openai: names the reason the app aborted with, and stream.controller.abort() counts too', async () => {
    class UserLeft extends Error {}
    const ac = new AbortController();
    await readAndAbort(await chat(ac.signal), () => ac.abort(new UserLeft('the user closed the tab')));
    const stream = await chat();
    await readAndAbort(stream, () => stream.controller.abort());
    const [left, controlled] = exporter.getFinishedSpans();
    expect(left?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the user closed the tab' });
    expect(left?.attributes['error.type']).toBe('UserLeft');
    expect(controlled?.status.code).toBe(SpanStatusCode.ERROR);
    expect(controlled?.attributes['error.type']).toBe('AbortError');
  });

  it('openai: chat.completions.stream() aborted by the app ends its span as an error', async () => {
    const runner = openai.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'A story' }],
    });
    let seen = 0;
    runner.on('chunk', () => {
      if (++seen === 2) runner.abort();
    });
    await expect(runner.done()).rejects.toThrow();
    await until(() => exporter.getFinishedSpans().length === 1);
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
  });

  it('openai responses: ends the span as an AbortError', async () => {
    const ac = new AbortController();
    const stream = await openai.responses.create(
      { model: 'gpt-4o', input: 'A story', stream: true },
      { signal: ac.signal },
    );
    await readAndAbort(stream, () => ac.abort());
    const span = only(exporter.getFinishedSpans(), 'chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
    expect(span.attributes['gen_ai.response.id']).toBe('resp_1');
  });

  it('anthropic: ends the span as an AbortError, keeping what arrived before', async () => {
    const ac = new AbortController();
    // message_start and content_block_start, then the two text deltas.
    let seen = 0;
    for await (const _ of await message(ac.signal)) if (++seen === 4) ac.abort();
    const span = only(exporter.getFinishedSpans(), 'chat claude-sonnet-4-5');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
    expect(span.attributes['gen_ai.response.id']).toBe('msg_1');
    expect(outputText(span)).toEqual([{ type: 'text', content: 'Once upon' }]);
  });

  it("anthropic: names the reason the app aborted with, a timeout's too", async () => {
    class UserLeft extends Error {}
    const ac = new AbortController();
    let seen = 0;
    for await (const _ of await message(ac.signal)) if (++seen === 4) ac.abort(new UserLeft('the user left'));
    const timeout = new AbortController();
    seen = 0;
    for await (const _ of await message(timeout.signal))
      if (++seen === 4) timeout.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    expect(exporter.getFinishedSpans().map((s) => [s.attributes['error.type'], s.status.message])).toEqual([
      ['UserLeft', 'the user left'],
      ['TimeoutError', 'The operation timed out.'],
    ]);
  });

  it("anthropic: messages.stream() given the app's signal, aborted, is an AbortError", async () => {
    const ac = new AbortController();
    const stream = anthropic.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'A story' }] },
      { signal: ac.signal },
    );
    stream.on('text', (_delta, snapshot) => {
      if (snapshot === 'Once upon') ac.abort();
    });
    await expect(stream.done()).rejects.toThrow();
    await until(() => exporter.getFinishedSpans().length === 1);
    // The helper hands the abort event itself on as its own signal's reason: no error class.
    const span = only(exporter.getFinishedSpans(), 'chat claude-sonnet-4-5');
    expect([span.attributes['error.type'], span.status.message]).toEqual([
      'AbortError',
      'This operation was aborted',
    ]);
  });

  it('anthropic: messages.stream() aborted by the app ends its span as an error', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'A story' }],
    });
    stream.on('text', (_delta, snapshot) => {
      if (snapshot === 'Once upon') stream.abort();
    });
    await expect(stream.done()).rejects.toThrow();
    await until(() => exporter.getFinishedSpans().length === 1);
    const span = only(exporter.getFinishedSpans(), 'chat claude-sonnet-4-5');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('AbortError');
  });
});

describe('a stream the app stops reading', () => {
  it("is the app's choice: the span ends without an error (and without a finish reason)", async () => {
    for await (const _ of await chat()) break;
    let seen = 0;
    for await (const _ of await message()) if (++seen === 3) break;
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o', 'chat claude-sonnet-4-5']);
    for (const span of spans) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['error.type']).toBeUndefined();
      expect(span.attributes['gen_ai.response.finish_reasons']).toBeUndefined();
    }
  });

  it("is the app's choice through the clients' stream helpers too, which abort the request on break", async () => {
    let seen = 0;
    for await (const _ of anthropic.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'A story' }],
    }))
      if (++seen === 3) break;
    for await (const _ of openai.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'A story' }],
    }))
      break;
    for await (const _ of openai.responses.stream({ model: 'gpt-4o', input: 'A story' })) break;
    const noop = { name: 'noop', description: 'Does nothing', parameters: {}, function: (_: string) => '' };
    for await (const _ of openai.chat.completions.runTools({
      model: 'gpt-4o',
      stream: true,
      tools: [{ type: 'function', function: noop }],
      messages: [{ role: 'user', content: 'A story' }],
    }))
      break;
    await until(() => exporter.getFinishedSpans().length === 4);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.status.code, s.attributes['error.type']])).toEqual([
      ['chat claude-sonnet-4-5', SpanStatusCode.UNSET, undefined],
      ['chat gpt-4o', SpanStatusCode.UNSET, undefined],
      ['chat gpt-4o', SpanStatusCode.UNSET, undefined],
      ['chat gpt-4o', SpanStatusCode.UNSET, undefined],
    ]);
  });
});

describe('a stream whose connection drops', () => {
  it('fails the span with the error the app sees', async () => {
    after = 'cut';
    const seen: string[] = [];
    for (const start of [() => chat(), () => message()]) {
      try {
        for await (const _ of await start()) {
          // drain
        }
      } catch (error) {
        seen.push((error as Error).name);
      }
    }
    // fetch's TypeError ("terminated"), which @anthropic-ai/sdk ≥ 1.17 wraps in its own
    // APIConnectionError: either way the span names what the app caught.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe('TypeError');
    expect(['TypeError', 'APIConnectionError']).toContain(seen[1]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.status.code, s.attributes['error.type']])).toEqual([
      ['chat gpt-4o', SpanStatusCode.ERROR, seen[0]],
      ['chat claude-sonnet-4-5', SpanStatusCode.ERROR, seen[1]],
    ]);
  });
});

/** Waits for the client's own promise chain to settle; bounded, and no timing in the assertion. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ready(); i++) await new Promise((r) => setImmediate(r));
}
