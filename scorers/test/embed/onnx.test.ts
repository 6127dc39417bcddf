import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEmbedder, WordPiece } from '../../src/embed/onnx.ts';
import { cosine } from '../../src/embed/types.ts';

// protobufjs is a collector dependency; the test borrows it to write ONNX bytes.
const protobuf = createRequire(new URL('../../../collector/package.json', import.meta.url))('protobufjs') as {
  Root: { fromJSON(json: object): { lookupType(name: string): ProtoType } };
};
interface ProtoType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}

/** The part of onnx.proto an embedding-lookup graph needs (field numbers from the ONNX spec). */
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
    Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
  },
};

const FLOAT = 1;
const INT64 = 7;
const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'card',
  'pay',
  '##ment',
  'declined',
  'exchange',
  'rate',
  '##s',
];
// Rows of the lookup table: payment words along axis 0, currency words along axis 1, [UNK] along axis 2.
const TABLE: number[][] = [
  [0, 0, 0],
  [0, 0, 3],
  [0, 0, 0],
  [0, 0, 0],
  [1, 0, 0],
  [1, 0.1, 0],
  [1, 0, 0],
  [1, 0.2, 0],
  [0, 1, 0],
  [0.1, 1, 0],
  [0, 0.5, 0],
];

/** last_hidden_state = Gather(table, input_ids): a token-embedding "encoder" of width 3. */
function lookupModel(): Uint8Array {
  const root = protobuf.Root.fromJSON(onnxSchema);
  const Model = root.lookupType('ModelProto');
  const model = {
    irVersion: 8,
    producerName: 'oversight-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'lookup',
      node: [
        { opType: 'Gather', input: ['table', 'input_ids'], output: ['last_hidden_state'], name: 'gather' },
      ],
      initializer: [{ name: 'table', dataType: FLOAT, dims: [TABLE.length, 3], floatData: TABLE.flat() }],
      input: [
        {
          name: 'input_ids',
          type: {
            tensorType: { elemType: INT64, shape: { dim: [{ dimValue: 1 }, { dimParam: 'tokens' }] } },
          },
        },
      ],
      output: [
        {
          name: 'last_hidden_state',
          type: {
            tensorType: {
              elemType: FLOAT,
              shape: { dim: [{ dimValue: 1 }, { dimParam: 'tokens' }, { dimValue: 3 }] },
            },
          },
        },
      ],
    },
  };
  return Model.encode(Model.fromObject(model)).finish();
}

function ortInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return false;
    throw err;
  }
}

describe('WordPiece', () => {
  it('splits into the longest known pieces, adds [CLS]/[SEP], maps unknown words to [UNK]', () => {
    const wp = new WordPiece(VOCAB.join('\n'));
    expect(wp.tokenize('Payments declined', 16)).toEqual([2, 5, 6, 10, 7, 3]);
    expect(wp.tokenize('card zzz', 16)).toEqual([2, 4, 1, 3]);
    expect(wp.tokenize('card card card card', 4)).toEqual([2, 4, 4, 3]);
  });

  it('refuses a vocabulary without the special tokens', () => {
    expect(() => new WordPiece('a\nb')).toThrow(/\[CLS\]/);
  });
});

describe.skipIf(!ortInstalled())('OnnxEmbedder (onnxruntime-node, tiny model built here)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oversight-embed-'));
    await writeFile(join(dir, 'model.onnx'), lookupModel());
    await writeFile(join(dir, 'vocab.txt'), `${VOCAB.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('mean-pools the token states into a unit vector and names its space', async () => {
    const e = new OnnxEmbedder({ dir });
    const [card, payment, fx] = await e.embed(['card declined', 'payment declined', 'exchange rates']);
    // card declined: tokens CLS, card, declined, SEP → mean (0.5, 0.05, 0) → unit (0.995, 0.0995, 0).
    expect(Array.from(card as Float32Array)).toEqual([
      expect.closeTo(0.995, 3),
      expect.closeTo(0.0995, 3),
      0,
    ]);
    expect(cosine(card as Float32Array, payment as Float32Array)).toBeGreaterThan(0.95);
    expect(cosine(card as Float32Array, fx as Float32Array)).toBeLessThan(0.4);
    expect(e.dimension).toBe(3);
    expect(e.id).toMatch(/^onnx:oversight-embed-\w+:3$/);
    await e.close();
  });

  it('fails with a clear error when the directory has no model', async () => {
    const e = new OnnxEmbedder({ dir: join(dir, 'missing') });
    await expect(e.embed(['x'])).rejects.toThrow(/vocab\.txt|model\.onnx|ENOENT/);
  });
});
