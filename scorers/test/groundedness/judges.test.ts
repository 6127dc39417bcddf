import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunkContext,
  createLlmJudge,
  createNliJudge,
  parseJudgeReply,
  WordPieceTokenizer,
} from '../../src/groundedness/judges/index.ts';
import { encodeModel, FLOAT, INT64, ortInstalled } from '../helpers/tiny-onnx.ts';

const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'paris',
  'london',
  'capital',
  'france',
  'is',
  'the',
  'of',
  '.',
  'ber',
  '##lin',
];
/** Per-token evidence: "london" and "berlin" (two pieces) contradict, everything else mildly supports. */
const WEIGHTS = VOCAB.map((t) => (t === 'london' || t === 'ber' || t === '##lin' ? -5 : 0.3));

/** logits = [s, −s] with s = Σ weight[input_ids]: a cross-encoder's shape with a readable rule. */
function tinyCrossEncoder(): Uint8Array {
  return encodeModel({
    name: 'tiny-nli',
    nodes: [
      { opType: 'Gather', input: ['E', 'input_ids'], output: ['e'], name: 'embed' },
      { opType: 'ReduceSum', input: ['e'], output: ['s'], name: 'sum' },
      { opType: 'MatMul', input: ['s', 'M'], output: ['logits'], name: 'head' },
    ],
    initializers: [
      { name: 'E', dims: [VOCAB.length], floatData: WEIGHTS },
      { name: 'M', dims: [1, 2], floatData: [1, -1] },
    ],
    inputs: [{ name: 'input_ids', elemType: INT64, dims: [1, 'seq'] }],
    outputs: [{ name: 'logits', elemType: FLOAT, dims: [1, 2] }],
  });
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('WordPieceTokenizer', () => {
  it('splits into vocabulary pieces and encodes a pair with segment ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-wp-'));
    await writeFile(join(dir, 'vocab.txt'), VOCAB.join('\n'));
    const tok = await WordPieceTokenizer.fromDirectory(dir);
    expect(tok.tokenize('Berlin is the capital.')).toEqual([12, 13, 8, 9, 6, 11]);
    expect(tok.tokenize('Madrid')).toEqual([1]);
    const enc = tok.encodePair('Paris is the capital of France.', 'Paris', 512);
    expect(enc.inputIds).toEqual([2, 4, 8, 9, 6, 10, 7, 11, 3, 4, 3]);
    expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    // Too long: the premise is cut, the hypothesis kept.
    expect(tok.encodePair('Paris is the capital of France.', 'Paris', 6).inputIds).toEqual([
      2, 4, 8, 3, 4, 3,
    ]);
    expect(chunkContext(['Paris is the capital. London is the capital.'], tok, 4)).toHaveLength(2);
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects a tokenizer.json that is not WordPiece, saying what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-wp-'));
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
    await expect(WordPieceTokenizer.fromDirectory(dir)).rejects.toThrow(
      /not a WordPiece tokenizer.*pass a tokenizer/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe.skipIf(!ortInstalled())('createNliJudge (onnxruntime-node, test-built cross-encoder)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oversight-nli-'));
    await mkdir(join(dir, 'onnx'));
    await writeFile(join(dir, 'onnx', 'model.onnx'), tinyCrossEncoder());
    await writeFile(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        model: { type: 'WordPiece', vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])) },
      }),
    );
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ id2label: { 0: 'entailment', 1: 'contradiction' } }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('scores each claim against its best context chunk and the answer by its weakest claim', async () => {
    const judge = await createNliJudge({ modelDir: dir });
    const context = ['Paris is the capital of France.'];
    const ok = await judge.judge('Paris is the capital.', context);
    // [CLS] + 7 premise tokens + [SEP] + 5 hypothesis tokens + [SEP]: 15 tokens, each weighted 0.3.
    const s = 0.3 * 15;
    expect(ok.score).toBeCloseTo(sigmoid(2 * s), 5);
    expect(ok.label).toBe('grounded');
    const bad = await judge.judge('Paris is the capital. Berlin is the capital.', context);
    expect(bad.claims).toHaveLength(2);
    expect(bad.label).toBe('hallucinated');
    expect(bad.claims[1]?.support).toBeLessThan(0.01);
    expect(bad.pairs).toBe(2);
    expect(judge.version).toBe(`nli:${dir.split('/').pop()}`);
    await judge.close();
  });

  it('says clearly when the directory has no model', async () => {
    await expect(createNliJudge({ modelDir: tmpdir() })).rejects.toThrow(/no model\.onnx/);
  });
});

describe('createLlmJudge (local OpenAI-compatible server)', () => {
  let server: Server;
  let baseURL: string;
  const seen: { model: string; prompt: string; auth?: string }[] = [];
  let reply = (prompt: string): string =>
    prompt.includes('1991')
      ? '```json\n{"score": 0.1, "unsupported": ["founded in 1991"], "explanation": "The documents say 1987."}\n```'
      : '{"score": 0.95, "unsupported": [], "explanation": "Stated in document 1."}';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const json = JSON.parse(body) as { model: string; messages: { content: string }[] };
        const prompt = json.messages[1]?.content ?? '';
        seen.push({
          model: json.model,
          prompt,
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
        });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            choices: [{ message: { role: 'assistant', content: reply(prompt) } }],
            usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('sends the documents and answer, parses the JSON verdict and records its token cost', async () => {
    const judge = createLlmJudge({
      baseURL,
      model: 'judge-small',
      apiKey: 'k',
      price: { inputPerMTok: 1, outputPerMTok: 4 },
    });
    const docs = ['Acme was founded in 1987 by Maria Lopez.'];
    const good = await judge.judge('Acme was founded in 1987.', docs, 'When was Acme founded?');
    expect(good).toMatchObject({ score: 0.95, label: 'grounded', unsupported: [] });
    expect(good.usage).toEqual({ inputTokens: 120, outputTokens: 30, costUsd: (120 * 1 + 30 * 4) / 1e6 });
    const bad = await judge.judge('Acme was founded in 1991.', docs);
    expect(bad).toMatchObject({ label: 'hallucinated', unsupported: ['founded in 1991'] });
    expect(seen[0]).toMatchObject({ model: 'judge-small', auth: 'Bearer k' });
    expect(seen[0]?.prompt).toContain('[1] Acme was founded in 1987 by Maria Lopez.');
    expect(seen[0]?.prompt).toContain('Question:\nWhen was Acme founded?');
  });

  it('fails with the reply quoted when the judge does not answer in the schema', async () => {
    reply = () => 'I think it is fine.';
    const judge = createLlmJudge({ baseURL, model: 'judge-small' });
    await expect(judge.judge('a', ['b'])).rejects.toThrow(/not JSON: I think it is fine/);
    expect(() => parseJudgeReply('{"score": 3}')).toThrow(/judge reply/);
  });
});
