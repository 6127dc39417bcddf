import { describe, expect, it } from 'vitest';
import { VectorCache } from '../../src/embed/index.ts';

/** An embedder that records each call's texts and gives text i the vector [length, code of its first letter]. */
function recording() {
  const calls: string[][] = [];
  const embed = async (texts: readonly string[]) => {
    calls.push([...texts]);
    return texts.map((t) => Float32Array.of(t.length, t.charCodeAt(0)));
  };
  return { calls, embed };
}

describe('VectorCache', () => {
  it('embeds each distinct missing text once per call, and answers repeats from the cache', async () => {
    const cache = new VectorCache(8);
    const { calls, embed } = recording();
    const first = await cache.through(['card declined', 'exchange rate', 'card declined'], embed);
    expect(calls).toEqual([['card declined', 'exchange rate']]);
    expect(first.map((v) => [...v])).toEqual([
      [13, 99],
      [13, 101],
      [13, 99],
    ]);
    const second = await cache.through(['exchange rate', 'top up', 'card declined'], embed);
    expect(calls).toEqual([['card declined', 'exchange rate'], ['top up']]);
    expect(second.map((v) => [...v])).toEqual([
      [13, 101],
      [6, 116],
      [13, 99],
    ]);
    // Everything not embedded counts as a hit, the repeat within the first call too.
    expect([cache.hits, cache.misses]).toEqual([3, 3]);
    // All cached: no call at all.
    await cache.through(['top up', 'card declined'], embed);
    expect(calls).toHaveLength(2);
  });

  it('evicts the least recently used text when full', async () => {
    const cache = new VectorCache(2);
    const { calls, embed } = recording();
    await cache.through(['a', 'b'], embed);
    await cache.through(['a'], embed); // a is now the most recent
    await cache.through(['c'], embed); // b goes
    expect(cache.size).toBe(2);
    await cache.through(['a', 'c', 'b'], embed);
    expect(calls).toEqual([['a', 'b'], ['c'], ['b']]);
  });

  it('hands out copies, so a caller that normalises a vector leaves the cache alone', async () => {
    const cache = new VectorCache(4);
    const { embed } = recording();
    const [v] = await cache.through(['abc'], embed);
    (v as Float32Array).fill(0);
    const [again] = await cache.through(['abc'], embed);
    expect([...(again as Float32Array)]).toEqual([3, 97]);
  });

  it('stores nothing from a failed call, and keeps nothing at capacity 0', async () => {
    const cache = new VectorCache(4);
    await expect(
      cache.through(['x'], async () => {
        throw new Error('endpoint down');
      }),
    ).rejects.toThrow('endpoint down');
    expect(cache.size).toBe(0);
    await expect(cache.through(['x', 'y'], async () => [Float32Array.of(1)])).rejects.toThrow(
      'returned 1 vectors for 2 texts',
    );
    expect(cache.size).toBe(0);

    const none = new VectorCache(0);
    const { calls, embed } = recording();
    await none.through(['q'], embed);
    await none.through(['q'], embed);
    expect(calls).toEqual([['q'], ['q']]);
    expect(() => new VectorCache(-1)).toThrow('vector cache: capacity must be an integer ≥ 0, got -1');
  });
});
