/**
 * Feature hashing of a normalised text: word unigrams and bigrams, character
 * 3–5-grams (with a space pad at both ends). Each feature becomes a 32-bit hash;
 * a model keeps as many low bits as it has buckets and uses the top bit as the
 * feature's sign, so colliding features cancel instead of piling up.
 *
 * Every scorer hashes the same text on the request path, so the last few
 * results are kept: the second scorer on the same text pays nothing, and a
 * decoded payload scored in between does not push the text itself out.
 */
import { type NormalizedText, normalizeText } from '../text/normalize.ts';

export interface TextFeatures {
  norm: NormalizedText;
  /** Feature hashes; a view into a pooled buffer, valid until features of CACHE_SIZE other texts are taken. */
  hashes: Int32Array;
  count: number;
  /** Number of words; word `j` is hash 0 for j = 0, else hash 2j − 1 (bigrams sit between). */
  words: number;
  /** Per-text memo for whoever reads these features (a model bank's sums), dropped with the entry. */
  memo: Map<object, unknown>;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x2f6b1a3d;
const CHAR_SEED = 0x5bd1e995;
const BIGRAM_SALT = 0x68e31da4;
const SPACE = 32;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Upper bound of the features a normalised text of `length` characters gives. */
function capacity(length: number): number {
  return length * 5 + 32;
}

function grown(buf: Int32Array, size: number): Int32Array {
  if (buf.length >= size) return buf;
  let n = buf.length;
  while (n < size) n *= 2;
  return new Int32Array(n);
}

/** Hashes the features of an already normalised text into `out` (large enough: see `capacity`); returns the count. */
function hashInto(text: string, out: Int32Array): number {
  const len = text.length;
  let count = 0;

  // Words and bigrams.
  let prev = 0;
  let hasPrev = false;
  let h = FNV_OFFSET ^ WORD_SEED;
  let inWord = false;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : SPACE;
    if (c === SPACE) {
      if (!inWord) continue;
      const word = fmix(h);
      out[count++] = word;
      if (hasPrev) out[count++] = fmix(Math.imul(prev, 0x9e3779b1) ^ word ^ BIGRAM_SALT);
      prev = word;
      hasPrev = true;
      h = FNV_OFFSET ^ WORD_SEED;
      inWord = false;
    } else {
      h = Math.imul(h ^ c, FNV_PRIME);
      inWord = true;
    }
  }

  // Character n-grams over " " + text + " ".
  const padded = len + 2;
  for (let i = 0; i + 3 <= padded; i++) {
    let g = FNV_OFFSET ^ CHAR_SEED;
    for (let n = 0; n < 5 && i + n < padded; n++) {
      const p = i + n;
      const c = p === 0 || p === padded - 1 ? SPACE : text.charCodeAt(p - 1);
      g = Math.imul(g ^ c, FNV_PRIME);
      if (n >= 2) out[count++] = fmix(g);
    }
  }
  return count;
}

let scratch: Int32Array = new Int32Array(4096);

/** Number of features of an already normalised text (hashed into a scratch buffer). */
export function hashNormalized(text: string): number {
  scratch = grown(scratch, capacity(text.length));
  return hashInto(text, scratch);
}

interface Entry {
  text: string | undefined;
  buffer: Int32Array;
  features: TextFeatures | undefined;
}

const CACHE_SIZE = 4;
const cache: Entry[] = Array.from({ length: CACHE_SIZE }, () => ({
  text: undefined,
  buffer: new Int32Array(4096),
  features: undefined,
}));
let next = 0;

export function textFeatures(text: string): TextFeatures {
  for (let i = 0; i < CACHE_SIZE; i++) {
    const e = cache[(next - 1 - i + CACHE_SIZE) % CACHE_SIZE] as Entry;
    if (e.features !== undefined && e.text === text) return e.features;
  }
  const entry = cache[next] as Entry;
  next = (next + 1) % CACHE_SIZE;
  const norm = normalizeText(text);
  entry.buffer = grown(entry.buffer, capacity(norm.text.length));
  const count = hashInto(norm.text, entry.buffer);
  entry.text = text;
  entry.features = {
    norm,
    hashes: entry.buffer.subarray(0, count),
    count,
    words: wordCount(norm.text),
    memo: new Map(),
  };
  return entry.features;
}

function wordCount(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf(' '); i !== -1; i = text.indexOf(' ', i + 1)) n++;
  return n;
}

/**
 * The `k` words of a text with the highest positive `weight` of their hash,
 * highest first, with their ranges in the normal form: explains a score from
 * the hashes already taken, without hashing the words again.
 */
export function topWords(
  features: TextFeatures,
  weight: (hash: number) => number,
  k: number,
): { start: number; end: number; weight: number }[] {
  const top: { word: number; weight: number }[] = [];
  for (let j = 0; j < features.words; j++) {
    const w = weight(features.hashes[j === 0 ? 0 : 2 * j - 1] as number);
    if (w <= 0 || (top.length >= k && w <= (top[top.length - 1] as { weight: number }).weight)) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as { weight: number }).weight < w) at--;
    top.splice(at, 0, { word: j, weight: w });
    if (top.length > k) top.pop();
  }
  if (top.length === 0) return [];
  // Word j starts after the j-th space of the normal form (single spaces, no padding).
  const text = features.norm.text;
  const last = Math.max(...top.map((t) => t.word));
  const starts: number[] = [0];
  for (let i = text.indexOf(' '); i !== -1 && starts.length <= last; i = text.indexOf(' ', i + 1))
    starts.push(i + 1);
  return top.map((t) => {
    const start = starts[t.word] as number;
    const space = text.indexOf(' ', start);
    return { start, end: space === -1 ? text.length : space, weight: t.weight };
  });
}
