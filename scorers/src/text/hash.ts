/** FNV-1a's 32-bit offset basis and prime: the rolling hash under the scorers' word and n-gram features. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a of `s[from, to)`, started from the offset basis xor `seed`. */
export function fnv1a(s: string, seed = 0, from = 0, to = s.length): number {
  let h = seed ^ FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** FNV-1a of `bytes[from, to)`, from the offset basis (content tags of binary weights). */
export function fnv1aBytes(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME);
  return h;
}

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
