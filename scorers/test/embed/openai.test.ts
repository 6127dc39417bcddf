import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIEmbedder } from '../../src/embed/openai.ts';

/** A local OpenAI-compatible /v1/embeddings: vector = [length, vowels, 1], shuffled response order. */
let server: Server;
let base: string;
const seen: { auth?: string; inputs: string[]; model: string }[] = [];
let mode: 'ok' | 'error' | 'short' = 'ok';

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const json = JSON.parse(await body(req)) as { model: string; input: string[] };
    seen.push({ auth: req.headers.authorization, inputs: json.input, model: json.model });
    if (req.url !== '/v1/embeddings' || mode === 'error') {
      res.writeHead(mode === 'error' ? 429 : 404).end('{"error":{"message":"slow down"}}');
      return;
    }
    const data = json.input.map((t, index) => ({
      object: 'embedding',
      index,
      embedding: [t.length, (t.match(/[aeiou]/g) ?? []).length, 1],
    }));
    if (mode === 'short') data.pop();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: data.reverse(), model: json.model }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('OpenAIEmbedder against a local OpenAI-compatible server', () => {
  it('batches, keeps input order, normalises and learns the width', async () => {
    mode = 'ok';
    seen.length = 0;
    const e = new OpenAIEmbedder({ baseURL: `${base}/`, model: 'tiny-embed', apiKey: 'k-123', batchSize: 2 });
    const texts = ['aaaa', 'b', 'hello there', 'zz'];
    const vs = await e.embed(texts);
    expect(seen.map((s) => s.inputs)).toEqual([
      ['aaaa', 'b'],
      ['hello there', 'zz'],
    ]);
    expect(seen[0]?.auth).toBe('Bearer k-123');
    expect(seen[0]?.model).toBe('tiny-embed');
    const norm = Math.sqrt(16 + 16 + 1);
    expect(Array.from(vs[0] as Float32Array)).toEqual(
      [4 / norm, 4 / norm, 1 / norm].map((x) => expect.closeTo(x, 6)),
    );
    expect(vs[1]?.[0]).toBeCloseTo(1 / Math.sqrt(2), 6);
    expect(e.dimension).toBe(3);
    expect(e.id).toBe('openai:tiny-embed:3');
  });

  it('reports HTTP errors, short responses and width changes clearly', async () => {
    mode = 'error';
    await expect(new OpenAIEmbedder({ baseURL: base, model: 'm' }).embed(['x'])).rejects.toThrow(/HTTP 429/);
    mode = 'short';
    await expect(new OpenAIEmbedder({ baseURL: base, model: 'm' }).embed(['x', 'y'])).rejects.toThrow(
      /1 vectors for 2 inputs/,
    );
    mode = 'ok';
    await expect(
      new OpenAIEmbedder({ baseURL: base, model: 'm', dimension: 8 }).embed(['x']),
    ).rejects.toThrow(/width 3, expected 8/);
  });
});
