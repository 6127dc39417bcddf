/**
 * Scripts written without spaces between words: Chinese (Han), Japanese
 * kana, Thai, Lao, Burmese and Khmer. A tokenizer that splits on non-letters
 * reads a run of them as one word, a phrase or a whole sentence; these
 * helpers tell such runs apart and cut them into words with ICU's word
 * breaker, which Node carries (dictionary-based for these scripts). One
 * definition for every tokenizer: the built-in embedder's words and the
 * groundedness scanner's.
 */

/** Their code-unit ranges (inclusive): Thai and Lao, Burmese, Khmer, kana, Han extension A, Han. */
const RANGES: readonly (readonly [number, number])[] = [
  [0x0e00, 0x0eff],
  [0x1000, 0x109f],
  [0x1780, 0x17ff],
  [0x3040, 0x30ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
];
const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
// A regex scans a text for them faster than a loop over its code units.
const ANY = new RegExp(`[${RANGES.map(([a, b]) => `${hex(a)}-${hex(b)}`).join('')}]`);

/** A UTF-16 code unit of an unspaced script. */
export function isUnspacedUnit(c: number): boolean {
  for (const [a, b] of RANGES) if (c >= a && c <= b) return true;
  return false;
}

/** Whether `text` holds a letter of an unspaced script. */
export const hasUnspaced = (text: string): boolean => ANY.test(text);

// A fixed locale: the words must not follow the machine's, and the breaker's dictionaries do not depend on it.
let segmenter: Intl.Segmenter | undefined;

/** The words of `run` as ICU's word breaker cuts it (punctuation and spaces left out), each with its offset. */
export function* unspacedWords(run: string): Generator<{ word: string; index: number }> {
  // A Node built without Intl (no official build is) reads a run as one word, as before the breaker.
  if (typeof Intl === 'undefined' || typeof Intl.Segmenter !== 'function') {
    yield { word: run, index: 0 };
    return;
  }
  segmenter ??= new Intl.Segmenter('en', { granularity: 'word' });
  for (const s of segmenter.segment(run)) if (s.isWordLike) yield { word: s.segment, index: s.index };
}
