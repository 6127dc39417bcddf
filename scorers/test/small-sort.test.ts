/** `sortShort` must order every list exactly as `Array.prototype.sort` does, ties included. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/index.ts';
import { sortShort } from '../src/small-sort.ts';

describe('sortShort', () => {
  it('orders short and long lists as Array.prototype.sort, keeping ties in order', () => {
    const random = seededRandom(3);
    for (let n = 0; n < 400; n++) {
      const length = Math.floor(random() * (n < 300 ? 70 : 400));
      const list = Array.from({ length }, (_, i) => ({ key: Math.floor(random() * 6), i }));
      const compare = (a: { key: number }, b: { key: number }) => b.key - a.key;
      expect(sortShort([...list], compare)).toEqual([...list].sort(compare));
    }
  });

  it('sorts in place and returns the list', () => {
    const list = [3, 1, 2];
    expect(sortShort(list, (a, b) => a - b)).toBe(list);
    expect(list).toEqual([1, 2, 3]);
  });
});
