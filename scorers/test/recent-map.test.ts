import { describe, expect, it } from 'vitest';
import { RecentMap } from '../src/index.ts';

describe('RecentMap', () => {
  it('forgets the oldest entry; use() makes an entry the newest, get() leaves it where it is', () => {
    const m = new RecentMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3); // a was only read with get(): it is still the oldest
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([undefined, 2, 3]);
    expect(m.use('b')).toBe(2);
    m.set('d', 4); // b was used: c goes
    expect([m.get('b'), m.get('c'), m.get('d')]).toEqual([2, undefined, 4]);
    expect(m.size).toBe(2);
    // Setting a key again moves it to the newest place.
    m.set('b', 5);
    m.set('e', 6);
    expect([m.get('b'), m.get('d'), m.get('e')]).toEqual([5, undefined, 6]);
  });

  it('keeps nothing at capacity 0', () => {
    const m = new RecentMap<string, number>(0);
    m.set('a', 1);
    expect([m.size, m.get('a')]).toEqual([0, undefined]);
  });
});
