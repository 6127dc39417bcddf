import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJudgeScorer, parseVerdict } from '../src/model-backed/judge.ts';
import { createOnnxScorer, hashedVector } from '../src/model-backed/onnx.ts';

// protobufjs is a collector dependency; the test borrows it to write ONNX bytes.
const protobuf = createRequire(new URL('../../collector/package.json', import.meta.url))('protobufjs') as {
  Root: { fromJSON(json: object): { lookupType(name: string): ProtoType } };
};
interface ProtoType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}

/** The part of onnx.proto a logistic-regression graph needs (field numbers from the ONNX spec). */
const onnxSchema = {
  nested: {
    ModelProto: {
      fields: {
        irVersion: { type: 'int64', id: 1 },
        opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
        producerName: { type: 'string', id: 2 },
        graph: { type: 'GraphProto', id: 7 },
      },
    },
    OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
    GraphProto: {
      fields: {
        node: { rule: 'repeated', type: 'NodeProto', id: 1 },
        name: { type: 'string', id: 2 },
        initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
        input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
        output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
      },
    },
    NodeProto: {
      fields: {
        input: { rule: 'repeated', type: 'string', id: 1 },
        output: { rule: 'repeated', type: 'string', id: 2 },
        name: { type: 'string', id: 3 },
        opType: { type: 'string', id: 4 },
      },
    },
    TensorProto: {
      fields: {
        dims: { rule: 'repeated', type: 'int64', id: 1 },
        dataType: { type: 'int32', id: 2 },
        floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
        name: { type: 'string', id: 8 },
      },
    },
    ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
    TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
    TypeProtoTensor: {
      fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
    },
    TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
    Dimension: { fields: { dimValue: { type: 'int64', id: 1 } } },
  },
};

const FLOAT = 1;
const WIDTH = 256;

/** sigmoid(x·W + b) with W lighting up on the buckets of the word "zorblax". */
function logisticModel(): Uint8Array {
  const marker = hashedVector('zorblax', WIDTH);
  const weights = Array.from(marker, (v) => (v !== 0 ? Math.sign(v) * 40 : 0));
  const tensorType = (dims: number[]) => ({
    tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  });
  const root = protobuf.Root.fromJSON(onnxSchema);
  const Model = root.lookupType('ModelProto');
  const model = {
    irVersion: 8,
    producerName: 'oversight-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'logreg',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'], name: 'matmul' },
        { opType: 'Add', input: ['xw', 'b'], output: ['z'], name: 'add' },
        { opType: 'Sigmoid', input: ['z'], output: ['p'], name: 'sigmoid' },
      ],
      initializer: [
        { name: 'W', dataType: FLOAT, dims: [WIDTH, 1], floatData: weights },
        { name: 'b', dataType: FLOAT, dims: [1], floatData: [-3] },
      ],
      input: [{ name: 'x', type: tensorType([1, WIDTH]) }],
      output: [{ name: 'p', type: tensorType([1, 1]) }],
    },
  };
  return Model.encode(Model.fromObject(model)).finish();
}

function ortInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
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
