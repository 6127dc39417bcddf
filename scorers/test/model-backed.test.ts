import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJudgeScorer, parseVerdict } from '../src/model-backed/judge.ts';
import { createOnnxScorer, hashedVector } from '../src/model-backed/onnx.ts';
import { encodeModel, FLOAT, ortInstalled } from './helpers/tiny-onnx.ts';

const WIDTH = 256;

/** sigmoid(x·W + b) with W lighting up on the buckets of the word "zorblax". */
function logisticModel(): Uint8Array {
  const marker = hashedVector('zorblax', WIDTH);
  const weights = Array.from(marker, (v) => (v !== 0 ? Math.sign(v) * 40 : 0));
  return encodeModel({
    name: 'logreg',
    nodes: [
      { opType: 'MatMul', input: ['x', 'W'], output: ['xw'], name: 'matmul' },
      { opType: 'Add', input: ['xw', 'b'], output: ['z'], name: 'add' },
      { opType: 'Sigmoid', input: ['z'], output: ['p'], name: 'sigmoid' },
    ],
    initializers: [
      { name: 'W', dims: [WIDTH, 1], floatData: weights },
      { name: 'b', dims: [1], floatData: [-3] },
    ],
    inputs: [{ name: 'x', elemType: FLOAT, dims: [1, WIDTH] }],
    outputs: [{ name: 'p', elemType: FLOAT, dims: [1, 1] }],
  });
}

describe.skipIf(!ortInstalled())(
  'createOnnxScorer (onnxruntime-node; install with ONNXRUNTIME_NODE_INSTALL=skip)',
  () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'oversight-onnx-'));
      await writeFile(join(dir, 'logreg.onnx'), logisticModel());
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('scores texts with a local ONNX graph built in the test', async () => {
      const scorer = createOnnxScorer({
        name: 'zorblax',
        modelPath: join(dir, 'logreg.onnx'),
        threshold: 0.5,
        featureSize: WIDTH,
      });
      const hit = await scorer.score('the zorblax is back');
      const miss = await scorer.score('the weather is nice today');
      expect(hit.flagged).toBe(true);
      expect(hit.score).toBeGreaterThan(0.9);
      expect(miss.flagged).toBe(false);
      expect(miss.score).toBeLessThan(0.2);
      expect(hit.label).toBe('flagged');
      expect(hit.version).toBe('onnx:logreg.onnx');
      await scorer.close?.();
    });

    it('takes a custom tokenizer', async () => {
      const scorer = createOnnxScorer({
        name: 'custom',
        modelPath: join(dir, 'logreg.onnx'),
        threshold: 0.5,
        tokenizer: () => ({ x: { type: 'float32', data: new Float32Array(WIDTH), dims: [1, WIDTH] } }),
      });
      // All-zero input leaves only the bias: sigmoid(-3).
      expect((await scorer.score('anything')).score).toBeCloseTo(1 / (1 + Math.exp(3)), 5);
      await scorer.close?.();
    });
  },
);

describe('createJudgeScorer', () => {
  let server: Server;
  let baseURL: string;
  const requests: {
    auth?: string;
    body: { model: string; messages: { role: string; content: string }[] };
  }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        if (req.url !== '/v1/chat/completions') {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(raw);
        requests.push({ auth: req.headers.authorization, body });
        const text: string = body.messages.at(-1).content;
        if (text.includes('broken')) {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
          return;
        }
        const toxic = /idiot/.test(text);
        const content = text.includes('bare')
          ? '0.2'
          : `\`\`\`json\n${JSON.stringify({ score: toxic ? 0.93 : 0.04, label: toxic ? 'toxic' : 'ok', explanation: toxic ? 'insult' : 'polite' })}\n\`\`\``;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks the judge with the prompt and parses its JSON verdict', async () => {
    const scorer = createJudgeScorer({
      name: 'toxicity_judge',
      baseURL,
      model: 'judge-1',
      apiKey: 'k',
      prompt: 'Is this toxic?\n<text>{{text}}</text>',
    });
    const r = await scorer.score('you idiot');
    expect(r).toMatchObject({
      name: 'toxicity_judge',
      score: 0.93,
      label: 'toxic',
      flagged: true,
      explanation: 'insult',
      version: 'judge:judge-1',
    });
    const sent = requests.at(-1);
    expect(sent?.auth).toBe('Bearer k');
    expect(sent?.body.model).toBe('judge-1');
    expect(sent?.body.messages.at(-1)?.content).toBe('Is this toxic?\n<text>you idiot</text>');
    expect((await scorer.score('have a nice day')).flagged).toBe(false);
  });

  it('accepts a bare number and reports HTTP errors', async () => {
    const scorer = createJudgeScorer({
      name: 'j',
      baseURL: baseURL.replace(/\/v1$/, ''),
      model: 'm',
      prompt: 'Rate:',
    });
    const r = await scorer.score('bare answer please');
    expect(r.score).toBe(0.2);
    expect(r.label).toBe('ok');
    await expect(scorer.score('broken')).rejects.toThrow(/HTTP 500/);
  });

  it('parses verdicts in the forms judges write them', () => {
    expect(parseVerdict('{"score": 0.7}').score).toBe(0.7);
    expect(parseVerdict('Score: 1').score).toBe(1);
    expect(() => parseVerdict('I think it is fine')).toThrow(/no score/);
  });
});
