import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEmbedder, WordPiece } from '../../src/embed/onnx.ts';
import { cosine } from '../../src/embed/types.ts';
import { encodeModel, FLOAT, INT64, ortInstalled } from '../helpers/tiny-onnx.ts';

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
  return encodeModel({
    name: 'lookup',
    nodes: [
      { opType: 'Gather', input: ['table', 'input_ids'], output: ['last_hidden_state'], name: 'gather' },
    ],
    initializers: [{ name: 'table', dims: [TABLE.length, 3], floatData: TABLE.flat() }],
    inputs: [{ name: 'input_ids', elemType: INT64, dims: [1, 'tokens'] }],
    outputs: [{ name: 'last_hidden_state', elemType: FLOAT, dims: [1, 'tokens', 3] }],
  });
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
