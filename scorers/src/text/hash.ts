/**
 * MurmurHash3's 32-bit finaliser: mixes a word's rolling hash so that its low
 * bits (the feature slot) and its sign bit are both well spread. Shared by the
 * linear scorers' features and the built-in embedder.
 */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
