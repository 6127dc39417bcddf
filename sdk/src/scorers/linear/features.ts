/**
 * Feature hashing of a normalised text: word unigrams and bigrams, character
 * 3–5-grams (with a space pad at both ends). Each feature becomes a 32-bit hash;
 * a model keeps as many low bits as it has buckets and uses the top bit as the
 * feature's sign, so colliding features cancel instead of piling up.
 *
 * Every scorer hashes the same text on the request path, so the last result is
 * kept: the second scorer on the same text pays nothing.
 */
import { type NormalizedText, normalizeText } from '../text/normalize.ts';

export interface TextFeatures {
  norm: NormalizedText;
  /** Feature hashes; a view into a shared buffer, valid until features of another text are taken. */
  hashes: Int32Array;
  count: number;
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

let buffer = new Int32Array(16384);

function grow(size: number): void {
  if (buffer.length >= size) return;
  let n = buffer.length;
  while (n < size) n *= 2;
  buffer = new Int32Array(n);
}

/** Hashes the features of an already normalised text into the shared buffer; returns the count. */
export function hashNormalized(text: string): number {
  const len = text.length;
  grow(len * 5 + 32);
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
      buffer[count++] = word;
      if (hasPrev) buffer[count++] = fmix(Math.imul(prev, 0x9e3779b1) ^ word ^ BIGRAM_SALT);
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
      if (n >= 2) buffer[count++] = fmix(g);
    }
  }
  return count;
}

let lastText: string | undefined;
let last: TextFeatures | undefined;

export function textFeatures(text: string): TextFeatures {
  if (last !== undefined && text === lastText) return last;
  const norm = normalizeText(text);
  const count = hashNormalized(norm.text);
  lastText = text;
  last = { norm, hashes: buffer.subarray(0, count), count };
  return last;
}

/** Hashes of the words of a normalised text, with their ranges, for explaining a score. */
export function wordHashes(text: string): { hash: number; start: number; end: number }[] {
  const words: { hash: number; start: number; end: number }[] = [];
  let h = FNV_OFFSET ^ WORD_SEED;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : SPACE;
    if (c === SPACE) {
      if (i > start) words.push({ hash: fmix(h), start, end: i });
      h = FNV_OFFSET ^ WORD_SEED;
      start = i + 1;
    } else {
      h = Math.imul(h ^ c, FNV_PRIME);
    }
  }
  return words;
}
