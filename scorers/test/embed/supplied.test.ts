import { describe, expect, it } from 'vitest';
import { suppliedEmbedding } from '../../src/embed/supplied.ts';

describe('suppliedEmbedding', () => {
  it('normalises and names the space by width (and model when given)', () => {
    const s = suppliedEmbedding([3, 4]);
    expect(s.embedder).toBe('app:2');
    expect(Array.from(s.vector)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(suppliedEmbedding(new Float32Array([1, 0, 0]), 'text-embedding-3-small').embedder).toBe(
      'app:text-embedding-3-small:3',
    );
  });

  it('rejects non-finite, zero and malformed vectors with one clear line', () => {
    expect(() => suppliedEmbedding([1, Number.NaN])).toThrow(/finite/);
    expect(() => suppliedEmbedding([0, 0, 0])).toThrow(/zero vector/);
    expect(() => suppliedEmbedding('1,2')).toThrow(/supplied embedding/);
    expect(() => suppliedEmbedding([1])).toThrow(/at least 2/);
  });
});
