/**
 * Feature hashing of a canonical text: word unigrams and bigrams, character
 * 3–5-grams (with a space pad at both ends). Each feature becomes a 32-bit hash;
 * a model keeps as many low bits as it has buckets and uses the top bit as the
 * feature's sign, so colliding features cancel instead of piling up.
 *
 * Every scorer hashes the same text on the request path, so the last few
 * results are kept: the second scorer on the same text pays nothing, and a
 * decoded payload scored in between does not push the text itself out.
 */
import { type CanonicalText, canonicalizeToScratch, charsToString } from '../text/canonicalize.ts';
import { resizedLength } from '../text/code-units.ts';
import { FNV_OFFSET, FNV_PRIME, fmix } from '../text/hash.ts';

export interface TextFeatures {
  norm: CanonicalText;
  /** Feature hashes; a view into a pooled buffer, valid until features of CACHE_SIZE other texts are taken. */
  hashes: Int32Array;
  count: number;
  /** Number of words; word `j` is hash 0 for j = 0, else hash 2j − 1 (bigrams sit between). */
  words: number;
  /** Canonical offset where each word starts; a view into a pooled buffer, like `hashes`. */
  starts: Int32Array;
  /** Per-text memo for whoever reads these features (a model bank's sums), dropped with the entry. */
  memo: Map<object, unknown>;
}

const WORD_SEED = 0x2f6b1a3d;
const CHAR_SEED = 0x5bd1e995;
const BIGRAM_SALT = 0x68e31da4;
const SPACE = 32;

/** Upper bound of the features a canonical text of `length` characters gives. */
function capacity(length: number): number {
  return length * 5 + 32;
}

function grown(buf: Int32Array, size: number): Int32Array {
  const n = resizedLength(buf.length, size);
  return n === undefined ? buf : new Int32Array(n);
}

// The canonical form between two spaces, so the n-gram loop reads its padding like any character.
let padded = new Uint16Array(4096);

function pad(chars: Uint16Array, length: number): Uint16Array {
  const n = resizedLength(padded.length, length + 2);
  if (n !== undefined) padded = new Uint16Array(n);
  padded[0] = SPACE;
  padded.set(chars.subarray(0, length), 1);
  padded[length + 1] = SPACE;
  return padded;
}

let hashedWords = 0;

/** Room for the word starts of a canonical form of `length` code units: words are a space apart. */
function startsCapacity(length: number): number {
  return (length >> 1) + 2;
}

/**
 * Hashes the features of a canonical form of `len` code units, given space-padded in `p[0, len + 2)`,
 * into `out` (large enough: see `capacity`), and where each word starts into `starts` (see
 * `startsCapacity`); returns the count and leaves the word count in `hashedWords`.
 */
function hashInto(p: Uint16Array, len: number, out: Int32Array, starts: Int32Array): number {
  let count = 0;

  // Words and bigrams; the closing pad ends the last word.
  let words = 0;
  let prev = 0;
  let h = FNV_OFFSET ^ WORD_SEED;
  let inWord = false;
  for (let i = 1; i <= len + 1; i++) {
    const c = p[i] as number;
    if (c === SPACE) {
      if (!inWord) continue;
      const word = fmix(h);
      out[count++] = word;
      if (words > 0) out[count++] = fmix(Math.imul(prev, 0x9e3779b1) ^ word ^ BIGRAM_SALT);
      prev = word;
      words++;
      h = FNV_OFFSET ^ WORD_SEED;
      inWord = false;
    } else {
      h = Math.imul(h ^ c, FNV_PRIME);
      // p is padded by one: the word starts at canonical offset i − 1.
      if (!inWord) starts[words] = i - 1;
      inWord = true;
    }
  }
  hashedWords = words;

  // Character 3-, 4- and 5-grams at each start over " " + text + " ".
  const total = len + 2;
  const seed = FNV_OFFSET ^ CHAR_SEED;
  let i = 0;
  for (; i + 5 <= total; i++) {
    let g = Math.imul(seed ^ (p[i] as number), FNV_PRIME);
    g = Math.imul(g ^ (p[i + 1] as number), FNV_PRIME);
    g = Math.imul(g ^ (p[i + 2] as number), FNV_PRIME);
    out[count++] = fmix(g);
    g = Math.imul(g ^ (p[i + 3] as number), FNV_PRIME);
    out[count++] = fmix(g);
    g = Math.imul(g ^ (p[i + 4] as number), FNV_PRIME);
    out[count++] = fmix(g);
  }
  for (; i + 3 <= total; i++) {
    let g = seed;
    for (let n = 0; n < 5 && i + n < total; n++) {
      g = Math.imul(g ^ (p[i + n] as number), FNV_PRIME);
      if (n >= 2) out[count++] = fmix(g);
    }
  }
  return count;
}

/** The hash `hashInto` gives the canonical word `word` (no spaces in it). */
export function wordHash(word: string): number {
  let h = FNV_OFFSET ^ WORD_SEED;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return fmix(h);
}

/** The hash `hashInto` gives the bigram of two words with hashes `first` and `second`. */
export function bigramHash(first: number, second: number): number {
  return fmix(Math.imul(first, 0x9e3779b1) ^ second ^ BIGRAM_SALT);
}

let scratch: Int32Array = new Int32Array(4096);
let scratchStarts: Int32Array = new Int32Array(4096);
let stringChars = new Uint16Array(4096);

/** Number of features of an already canonical text (hashed into a scratch buffer). */
export function hashCanonical(text: string): number {
  scratch = grown(scratch, capacity(text.length));
  scratchStarts = grown(scratchStarts, startsCapacity(text.length));
  const n = resizedLength(stringChars.length, text.length);
  if (n !== undefined) stringChars = new Uint16Array(n);
  for (let i = 0; i < text.length; i++) stringChars[i] = text.charCodeAt(i);
  return hashInto(pad(stringChars, text.length), text.length, scratch, scratchStarts);
}

interface Entry {
  text: string | undefined;
  buffer: Int32Array;
  origin: Int32Array;
  starts: Int32Array;
  features: TextFeatures | undefined;
}

const CACHE_SIZE = 4;
const cache: Entry[] = Array.from({ length: CACHE_SIZE }, () => ({
  text: undefined,
  buffer: new Int32Array(4096),
  origin: new Int32Array(4096),
  starts: new Int32Array(1024),
  features: undefined,
}));
let next = 0;

/**
 * The canonical form and hashed features of `text`. The canonical form's offset map
 * and the hashes are views into buffers pooled with the cache entry: valid until
 * features of CACHE_SIZE other texts are taken.
 */
export function textFeatures(text: string): TextFeatures {
  for (let i = 0; i < CACHE_SIZE; i++) {
    const e = cache[(next - 1 - i + CACHE_SIZE) % CACHE_SIZE] as Entry;
    if (e.features !== undefined && e.text === text) return e.features;
  }
  const entry = cache[next] as Entry;
  next = (next + 1) % CACHE_SIZE;
  // Hashed straight from the canonicaliser's code units, before its buffers are reused.
  const normal = canonicalizeToScratch(text);
  const length = normal.length;
  entry.buffer = grown(entry.buffer, capacity(length));
  entry.starts = grown(entry.starts, startsCapacity(length));
  const count = hashInto(pad(normal.chars, length), length, entry.buffer, entry.starts);
  entry.origin = grown(entry.origin, length);
  entry.origin.set(normal.origin.subarray(0, length));
  entry.text = text;
  entry.features = {
    norm: {
      text: charsToString(normal.chars, length),
      origin: entry.origin.subarray(0, length),
      sourceLength: normal.sourceLength,
    },
    hashes: entry.buffer.subarray(0, count),
    count,
    words: hashedWords,
    starts: entry.starts.subarray(0, hashedWords),
    memo: new Map(),
  };
  return entry.features;
}

/**
 * Index in `hashes` of the first feature that belongs to word `j` (0 ≤ j ≤ words): the word,
 * then the bigram it ends. Word features run in text order, so the features of words
 * [a, b) are those in [wordFeatureIndex(a), wordFeatureIndex(b)).
 */
export function wordFeatureIndex(words: number, j: number): number {
  const k = Math.min(j, words);
  return k === 0 ? 0 : 2 * k - 1;
}

/**
 * Index in `hashes` of the first character gram starting at canonical offset `c` or later
 * (0 ≤ c ≤ length), given how `hashInto` lays them out: after the word features, three
 * grams per padded position while five characters remain, then two, then one. A gram
 * starting on the opening pad counts as starting at 0.
 */
export function charFeatureIndex(features: TextFeatures, c: number): number {
  const base = wordFeatureIndex(features.words, features.words);
  if (c <= 0) return base;
  const total = features.norm.text.length + 2;
  const p = c + 1;
  const full = Math.max(0, total - 4);
  if (p <= full) return base + 3 * p;
  let index = base + 3 * full;
  for (let q = full; q < p && q < total; q++) index += Math.max(0, Math.min(5, total - q) - 2);
  return index;
}

/**
 * The `k` words of a text with the highest positive `weight` of their hash,
 * highest first (the earlier word first among equals), with their ranges in the
 * canonical form and their hashes: explains a score from the hashes already taken,
 * without hashing the words again. `from`/`to` limit it to words [from, to).
 */
export function topWords(
  features: TextFeatures,
  weight: (hash: number) => number,
  k: number,
  from = 0,
  to = features.words,
): { start: number; end: number; weight: number; hash: number }[] {
  const top: { word: number; weight: number }[] = [];
  for (let j = from; j < Math.min(to, features.words); j++) {
    const w = weight(features.hashes[j === 0 ? 0 : 2 * j - 1] as number);
    if (w <= 0 || (top.length >= k && w <= (top[top.length - 1] as { weight: number }).weight)) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as { weight: number }).weight < w) at--;
    top.splice(at, 0, { word: j, weight: w });
    if (top.length > k) top.pop();
  }
  if (top.length === 0) return [];
  // Word j starts after the j-th space of the canonical form (single spaces, no padding).
  const text = features.norm.text;
  const last = Math.max(...top.map((t) => t.word));
  const starts: number[] = [0];
  for (let i = text.indexOf(' '); i !== -1 && starts.length <= last; i = text.indexOf(' ', i + 1))
    starts.push(i + 1);
  return top.map((t) => {
    const start = starts[t.word] as number;
    const space = text.indexOf(' ', start);
    const hash = features.hashes[t.word === 0 ? 0 : 2 * t.word - 1] as number;
    return { start, end: space === -1 ? text.length : space, weight: t.weight, hash };
  });
}
