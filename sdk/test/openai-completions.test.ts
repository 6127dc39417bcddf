/**
 * Legacy text completions (`client.completions.create`): a local server
 * answers as the `/v1/completions` endpoint does, plain and streamed, and the
 * real `openai` client calls it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAI as LangChainOpenAI } from '@langchain/openai';
import { SpanKind } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrument } from '../src/instrumentation/instrument.ts';
import { OversightCallbackHandler } from '../src/instrumentation/langchain/index.ts';
import { initForTest, json, only } from './helpers.ts';

const MODEL = 'gpt-3.5-turbo-instruct';
let server: Server;
let client: OpenAI;
/** The bodies the server received. */
const received: Record<string, unknown>[] = [];
const { handle, exporter } = initForTest();

const completion = (choices: { text: string; finish: string | null }[], usage: unknown) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1,
  model: `${MODEL}-0914`,
  choices: choices.map((c, index) => ({ text: c.text, index, logprobs: null, finish_reason: c.finish })),
  usage,
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => {
      raw += d;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      received.push(body);
      if (req.url !== '/v1/completions') {
        res.writeHead(404).end();
        return;
      }
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const usage = { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };
        res.end(JSON.stringify(completion([{ text: 'Hello there!', finish: 'stop' }], usage)));
        return;
      }
      const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e: unknown) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      const u = withUsage ? null : undefined;
      send(completion([{ text: 'Hello', finish: null }], u));
      send(completion([{ text: ' there!', finish: null }], u));
      send(completion([{ text: '', finish: 'length' }], u));
      if (withUsage) send(completion([], { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = instrument(new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }));
});
afterAll(async () => {
  await handle.shutdown();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  exporter.reset();
  received.length = 0;
});

describe('openai completions.create (legacy text completions)', () => {
  it('records the prompt, the text, usage and parameters on a text_completion span', async () => {
    const result = await client.completions.create({
      model: MODEL,
      prompt: 'Say hello',
      max_tokens: 5,
      temperature: 0.2,
      stop: ['\n'],
    });
    expect(result.choices[0]?.text).toBe('Hello there!');
    const span = only(exporter.getFinishedSpans(), `text_completion ${MODEL}`);
    expect(span.kind).toBe(SpanKind.CLIENT);
    const a = span.attributes;
    expect(a['gen_ai.operation.name']).toBe('text_completion');
    expect(a['gen_ai.provider.name']).toBe('openai');
    expect(a['gen_ai.request.model']).toBe(MODEL);
    expect(a['gen_ai.request.max_tokens']).toBe(5);
    expect(a['gen_ai.request.temperature']).toBe(0.2);
    expect(a['gen_ai.request.stop_sequences']).toEqual(['\n']);
    expect(a['gen_ai.response.model']).toBe(`${MODEL}-0914`);
    expect(a['gen_ai.response.id']).toBe('cmpl-1');
    expect(a['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(a['gen_ai.usage.input_tokens']).toBe(4);
    expect(a['gen_ai.usage.output_tokens']).toBe(3);
    // The instruct model's own price (its snapshot answered), not gpt-3.5-turbo's.
    expect(a['oversight.usage.cost_usd']).toBe((4 * 1.5 + 3 * 2) / 1e6);
    expect(json(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
    ]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello there!' }], finish_reason: 'stop' },
    ]);
  });

  it('records a streamed completion, asking for usage and hiding the extra chunk from the app', async () => {
    const stream = await client.completions.create({ model: MODEL, prompt: ['Say', 'hello'], stream: true });
    const seen: unknown[] = [];
    for await (const chunk of stream) seen.push(chunk);
    expect(received[0]?.stream_options).toEqual({ include_usage: true });
    // The app did not ask for usage: neither the usage chunk nor `usage: null` reach it.
    expect(seen).toHaveLength(3);
    expect(seen.some((c) => 'usage' in (c as object))).toBe(false);
    const span = only(exporter.getFinishedSpans(), `text_completion ${MODEL}`);
    const a = span.attributes;
    expect(a['gen_ai.request.stream']).toBe(true);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['length']);
    expect(a['gen_ai.usage.input_tokens']).toBe(4);
    expect(a['gen_ai.usage.output_tokens']).toBe(2);
    expect(typeof a['gen_ai.response.time_to_first_chunk']).toBe('number');
    expect(json(span, 'gen_ai.input.messages')).toEqual([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Say' },
          { type: 'text', content: 'hello' },
        ],
      },
    ]);
    expect(json(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello there!' }], finish_reason: 'length' },
    ]);
  });

  it("records LangChain's OpenAI text model once, through the client it calls", async () => {
    // The LangChain handler leaves OpenAI's model classes to the client's span: that span must exist.
    const llm = new LangChainOpenAI({
      model: MODEL,
      apiKey: 'k',
      maxRetries: 0,
      configuration: { baseURL: client.baseURL },
    });
    const answer = await llm.invoke('Say hello', { callbacks: [new OversightCallbackHandler()] });
    expect(answer).toBe('Hello there!');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([`text_completion ${MODEL}`]);
    expect(json(spans[0] as (typeof spans)[0], 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
    ]);
  });
});
