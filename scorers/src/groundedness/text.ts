/**
 * Tokens, sentences and numbers for the groundedness and relevance scorers.
 * These run per generation in the collector and in the guard's request path,
 * so a text is scanned once, into typed arrays.
 */
import { isSpaceUnit } from '../text/code-units.ts';
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../text/hash.ts';
import { isUnspacedUnit, unspacedWords } from '../text/unspaced.ts';

export interface Token {
  /** Lowercased surface form. */
  lower: string;
  /** Matching key: a crude prefix stem, so "increased"/"increases" meet and "decreased" does not. */
  stem: string;
  /** `stemKey(stem)`, for numeric bigram keys. */
  key: number;
  /** Capitalised and not sentence-initial (or an acronym): names, places, titles. */
  entity: boolean;
  /** Parsed numeric value when the token is a number (digits or a number word). */
  number: number | undefined;
  stop: boolean;
  negation: boolean;
  qualifier: boolean;
}

const STOP = new Set(
  (
    'a an the and or but if then else of to in on at by for with from into onto over under about as is are was were be been being ' +
    'am do does did doing have has had having it its this that these those there here he she they them his her their our we us you your i me my ' +
    'which who whom whose what when where why how than so such also too very can could would should may might must will shall just only ' +
    'not no nor any some all each both either neither one ones other another more most much many few several same own up down out off again ' +
    'further once s t d ll m re ve y o per via upon while whilst during before after above below between through against among'
  ).split(' '),
);
// Negation and qualifiers are kept apart from stop words: they carry the meaning edits flip.
const NEGATION = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'neither',
  'nor',
  'without',
  'cannot',
  'unable',
  'fail',
  'failed',
  'fails',
  'lack',
  'lacks',
  'lacked',
  'refused',
  'denied',
  'rejected',
]);
const QUALIFIERS = new Set([
  'only',
  'all',
  'every',
  'always',
  'never',
  'first',
  'last',
  'largest',
  'smallest',
  'biggest',
  'best',
  'worst',
  'most',
  'least',
  'highest',
  'lowest',
  'entire',
  'entirely',
  'completely',
  'fully',
  'unanimously',
  'significantly',
  'slightly',
  'strongly',
  'major',
  'minor',
  'sole',
  'solely',
  'exclusively',
  'primarily',
  'mainly',
  'increase',
  'increased',
  'increasing',
  'decrease',
  'decreased',
  'decreasing',
  'more',
  'less',
  'fewer',
  'higher',
  'lower',
  'before',
  'after',
  'earlier',
  'later',
]);

// Maps, not object literals: a word like "constructor" must not find Object.prototype.
const NUMBER_WORDS = new Map<string, number>(
  Object.entries({
    zero: 0,
    two: 2,
    three: 3,
    four: 4,
    five: 5,
    six: 6,
    seven: 7,
    eight: 8,
    nine: 9,
    ten: 10,
    eleven: 11,
    twelve: 12,
    thirteen: 13,
    fourteen: 14,
    fifteen: 15,
    sixteen: 16,
    seventeen: 17,
    eighteen: 18,
    nineteen: 19,
    twenty: 20,
    thirty: 30,
    forty: 40,
    fifty: 50,
    sixty: 60,
    seventy: 70,
    eighty: 80,
    ninety: 90,
    hundred: 100,
    thousand: 1000,
    million: 1e6,
    billion: 1e9,
    trillion: 1e12,
    dozen: 12,
    // Ordinals from "second" ("first" is mostly a qualifier): "second quarter" vs "third quarter".
    second: 2,
    third: 3,
    fourth: 4,
    fifth: 5,
    sixth: 6,
    seventh: 7,
    eighth: 8,
    ninth: 9,
    tenth: 10,
  }),
);
const SCALE = new Map<string, number>(
  Object.entries({
    thousand: 1e3,
    million: 1e6,
    billion: 1e9,
    trillion: 1e12,
    k: 1e3,
    m: 1e6,
    bn: 1e9,
  }),
);

// Letters by explicit ranges (Latin, Greek to Ethiopic, CJK, Hangul), tested on char codes: the
// scanner below replaces a global regex whose match objects and `toLowerCase` copies were most of
// the cost of indexing a context.
function isLetter(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2af) ||
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x370 && c <= 0x1fff) ||
    (c >= 0x3040 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af)
  );
}
const isDigitCode = (c: number) => c >= 48 && c <= 57;
// `isLetter` as a table over UTF-16 code units (64 KB): the scanner asks for every character.
const LETTER = new Uint8Array(0x10000);
for (let c = 0; c < LETTER.length; c++) LETTER[c] = isLetter(c) ? 1 : 0;
/**
 * The char code at `i`, 0 (neither letter, digit nor punctuation) past the end. Reading past the
 * end (NaN, then an out-of-bounds typed-array index) made V8 deoptimise the scanner over and over.
 */
const codeAt = (text: string, i: number): number => (i < text.length ? text.charCodeAt(i) : 0);
const APOSTROPHE = 39;
const RIGHT_QUOTE = 0x2019;

/**
 * Two independent 32-bit hashes of the last word `wordEnd` measured (FNV-1a and a multiplicative
 * polynomial), computed in the same pass over its characters: together with the length they are
 * the word table's key.
 */
let wordHash = 0;
let wordHash2 = 0;
const POLY = 0x9e3779b1;

/** End of the word starting at `i` (a letter or digit), as `\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?|L+(?:['’]L+)*`. */
function wordEnd(text: string, i: number, digit: boolean): number {
  const n = text.length;
  const first = text.charCodeAt(i);
  let h = Math.imul(FNV_OFFSET ^ first, FNV_PRIME);
  let h2 = first;
  let j = i + 1;
  if (digit) {
    for (;;) {
      for (let c = codeAt(text, j); j < n && isDigitCode(c); c = codeAt(text, ++j)) {
        h = Math.imul(h ^ c, FNV_PRIME);
        h2 = (Math.imul(h2, POLY) + c) | 0;
      }
      const c = codeAt(text, j);
      if ((c === 46 || c === 44) && isDigitCode(codeAt(text, j + 1))) {
        h = Math.imul(h ^ c, FNV_PRIME);
        h2 = (Math.imul(h2, POLY) + c) | 0;
        j++;
      } else break;
    }
    const a = codeAt(text, j);
    const b = codeAt(text, j + 1);
    let end = j;
    // st | nd | rd | th, else a lone s ("1990s").
    if (
      (a === 115 && b === 116) ||
      (a === 110 && b === 100) ||
      (a === 114 && b === 100) ||
      (a === 116 && b === 104)
    )
      end = j + 2;
    else if (a === 115) end = j + 1;
    for (let k = j; k < end; k++) {
      const c = text.charCodeAt(k);
      h = Math.imul(h ^ c, FNV_PRIME);
      h2 = (Math.imul(h2, POLY) + c) | 0;
    }
    wordHash = h;
    wordHash2 = h2;
    return end;
  }
  for (;;) {
    for (let c = codeAt(text, j); j < n && LETTER[c] === 1; c = codeAt(text, ++j)) {
      h = Math.imul(h ^ c, FNV_PRIME);
      h2 = (Math.imul(h2, POLY) + c) | 0;
    }
    const c = codeAt(text, j);
    if ((c === APOSTROPHE || c === RIGHT_QUOTE) && LETTER[codeAt(text, j + 1)] === 1) {
      h = Math.imul(h ^ c, FNV_PRIME);
      h2 = (Math.imul(h2, POLY) + c) | 0;
      j++;
    } else {
      wordHash = h;
      wordHash2 = h2;
      return j;
    }
  }
}

export function stem(lower: string): string {
  let w = lower;
  const last = w.charCodeAt(w.length - 1);
  // Possessive and contraction endings: "’s", "'s", "n't".
  if (last === 115 /* s */ && w.length > 2 && (w[w.length - 2] === "'" || w[w.length - 2] === '’'))
    w = w.slice(0, -2);
  else if (last === 116 /* t */ && /n['’]t$/.test(w)) w = w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) w = w.slice(0, -1);
  return w.length > 7 ? w.slice(0, 7) : w;
}

function parseNumber(surface: string): number | undefined {
  const digits = surface.replace(/(st|nd|rd|th|s)$/, '');
  // "1,000" is a thousand; "1,5" (European decimal) is rare in English answers.
  const value = Number(digits.replace(/,/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

/** Whether the text before `start` ends a sentence (so a capital there is only grammatical). */
function afterBoundary(text: string, start: number, floor: number): boolean {
  for (let i = start - 1; i >= floor; i--) {
    const c = text.charCodeAt(i);
    // space, tab, ", ', “, (
    if (c === 32 || c === 9 || c === 34 || c === 39 || c === 0x201c || c === 40) continue;
    // . ! ? : newline
    return c === 46 || c === 33 || c === 63 || c === 58 || c === 10;
  }
  return floor === 0;
}

interface WordInfo {
  lower: string;
  stem: string;
  key: number;
  stop: boolean;
  negation: boolean;
  qualifier: boolean;
  number: number | undefined;
  scale: number | undefined;
  /** Starts with a capital letter. */
  capital: boolean;
  acronym: boolean;
  /** Numbers the stem among those the word table holds: equal stems, equal ids (see `Scan.stemId`). */
  stemId: number;
}

/** Bits of `Scan.flags`: what a word is, read without touching its `WordInfo`. */
export const F_STOP = 1;
export const F_NEGATION = 2;
export const F_QUALIFIER = 4;
/** The word alone is a number (`ScannedWord.number` is set). */
export const F_NUMBER = 8;
const F_SCALE = 16;
const F_CAPITAL = 32;
const F_ACRONYM = 64;
/** One character long ("a", "I"): never content unless a number, negation or qualifier. */
export const F_SHORT = 128;
/**
 * Letters of a script written without spaces between words (Chinese, Japanese kana, Thai, Lao,
 * Burmese, Khmer), more than one: a phrase or a sentence, which the scanner cuts into its words.
 * Kept in the word table only, above the flags `Scan.flags` reads.
 */
const F_RUN = 256;
/** Where the stem id starts in a slot's packed int. */
const STEM_SHIFT = 9;

/** Whether a word the scanner measured is a run of an unspaced script (its first or last letter tells). */
const isRun = (w: string): boolean =>
  w.length > 1 && (isUnspacedUnit(w.charCodeAt(0)) || isUnspacedUnit(w.charCodeAt(w.length - 1)));

// Per-surface analysis, cached: word frequencies are Zipfian, so most tokens of a context are hits.
// An open-addressing table keyed by hashes computed from the char codes in place: a hit allocates
// nothing (no slice, no lowercase copy, no string hashing), which made up most of indexing's cost.
// A slot holds both hashes and what the scanner and indexer read of the word, in one 16-byte
// stretch of a typed array: a hit touches no object and no string. Indexing was bound by memory
// loads (the stored word's characters read back to confirm a hit, then the WordInfo, then its
// strings, each a likely cache miss), not by arithmetic. Two distinct words are taken for one only
// if their length and both 32-bit hashes agree, about one in 10^19 per pair, far below the
// bigram keys' one in a million.
const TABLE_BITS = 16;
const TABLE_SIZE = 1 << TABLE_BITS;
const TABLE_MAX = TABLE_SIZE >> 1;
/**
 * Per slot, 4 ints: FNV-1a hash (0 marks an empty slot), second hash mixed with the length,
 * flags | stemId << STEM_SHIFT, stem key.
 */
let tableKeys = new Int32Array(4 * TABLE_SIZE);
let tableInfos: (WordInfo | undefined)[] = new Array(TABLE_SIZE);
let tableCount = 0;

/** A 26-bit hash of a stem, for bigram keys. */
function stemKey(stem: string): number {
  return (fnv1a(stem) >>> 6) & 0x3ffffff;
}

/**
 * One small integer for the adjacent pair (a, b) of stem keys. 30 bits keep it a V8 small
 * integer (a 52-bit key made every Set insert allocate a heap number); a collision, about one
 * in a million look-ups for a 2,000-word context, only spares a misordered name its penalty.
 */
export const bigramKey = (a: number, b: number): number => (Math.imul(a, 0x9e3779b1) ^ b) & 0x3fffffff;

// Stems of the word table's entries, numbered: the context indexer finds a word's posting list
// by this integer instead of hashing the stem string. Reset with the table.
let stemIds = new Map<string, number>();
/** Bumped whenever the word table starts over (stem ids are then reassigned). */
let tableGeneration = 0;

function stemIdOf(s: string): number {
  let id = stemIds.get(s);
  if (id === undefined) {
    id = stemIds.size;
    stemIds.set(s, id);
  }
  return id;
}

function flagsOf(info: WordInfo): number {
  return (
    (info.stop ? F_STOP : 0) |
    (info.negation ? F_NEGATION : 0) |
    (info.qualifier ? F_QUALIFIER : 0) |
    (info.number !== undefined ? F_NUMBER : 0) |
    (info.scale !== undefined ? F_SCALE : 0) |
    (info.capital ? F_CAPITAL : 0) |
    (info.acronym ? F_ACRONYM : 0) |
    (info.lower.length <= 1 ? F_SHORT : 0)
  );
}

function analyse(surface: string, isDigit: boolean): WordInfo {
  const lower = surface.toLowerCase();
  const number = isDigit ? parseNumber(surface) : NUMBER_WORDS.get(lower);
  const capital = !isDigit && surface[0] !== lower[0];
  const s = number !== undefined ? String(number) : stem(lower);
  return {
    lower,
    stem: s,
    key: stemKey(s),
    stop: number === undefined && STOP.has(lower),
    negation: NEGATION.has(lower) || (lower.endsWith('t') && /n['’]t$/.test(lower)),
    qualifier: QUALIFIERS.has(lower),
    number,
    scale: SCALE.get(lower),
    capital,
    acronym: capital && surface.length > 1 && surface === surface.toUpperCase(),
    stemId: stemIdOf(s),
  };
}

/** The slot of `text[start, end)` in the word table (analysed on a miss); `wordEnd` just hashed it. */
function wordSlot(text: string, start: number, end: number, isDigit: boolean): number {
  // 0 marks an empty slot.
  const h = wordHash === 0 ? 1 : wordHash;
  const h2 = wordHash2 ^ Math.imul(end - start, FNV_PRIME);
  const mask = TABLE_SIZE - 1;
  let slot = h & mask;
  for (;;) {
    const at = tableKeys[4 * slot] as number;
    if (at === 0) break;
    if (at === h && tableKeys[4 * slot + 1] === h2) return slot;
    slot = (slot + 1) & mask;
  }
  if (tableCount >= TABLE_MAX) {
    // Full (a stream of unseen words): start over rather than grow without bound.
    tableKeys = new Int32Array(4 * TABLE_SIZE);
    tableInfos = new Array(TABLE_SIZE);
    tableCount = 0;
    stemIds = new Map();
    tableGeneration++;
    slot = h & mask;
  }
  const info = analyse(text.slice(start, end), isDigit);
  tableKeys[4 * slot] = h;
  tableKeys[4 * slot + 1] = h2;
  tableKeys[4 * slot + 2] =
    flagsOf(info) | (!isDigit && isRun(info.lower) ? F_RUN : 0) | (info.stemId << STEM_SHIFT);
  tableKeys[4 * slot + 3] = info.key;
  tableInfos[slot] = info;
  tableCount++;
  return slot;
}

// The words of the last `scan`, in parallel arrays reused from call to call: indexing a context
// reads them in place instead of allocating a Token per word.
let scanInfos: WordInfo[] = [];
let scanEntity = new Uint8Array(256);
/** The word's value with a following scale word folded in ("5 million"); NaN when not a number. */
let scanNumber = new Float64Array(256);
/** Per word: flags | stemId << STEM_SHIFT, and the stem key, copied from the word table's slot. */
let scanPacked = new Int32Array(256);
let scanKey = new Int32Array(256);

/** A copy of `a` twice as long, its contents at the front. */
function doubled<T extends Uint8Array | Int32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

function grow(): void {
  scanEntity = doubled(scanEntity);
  scanNumber = doubled(scanNumber);
  scanPacked = doubled(scanPacked);
  scanKey = doubled(scanKey);
}

/**
 * Appends the words of `text[start, end)`, a run of an unspaced script (F_RUN), cut by the word
 * breaker, to the scan buffers after `count` words; returns the new count. Such words have no
 * case and are not numbers the scanner reads, so none is an entity or folds into a number.
 */
function scanRun(text: string, start: number, end: number, count: number): number {
  let k = count;
  for (const { word, index } of unspacedWords(text.slice(start, end))) {
    const a = start + index;
    const b = a + word.length;
    // The hashes `wordEnd` computes for the words it measures.
    let h = Math.imul(FNV_OFFSET ^ text.charCodeAt(a), FNV_PRIME);
    let h2 = text.charCodeAt(a);
    for (let j = a + 1; j < b; j++) {
      const c = text.charCodeAt(j);
      h = Math.imul(h ^ c, FNV_PRIME);
      h2 = (Math.imul(h2, POLY) + c) | 0;
    }
    wordHash = h;
    wordHash2 = h2;
    const slot = wordSlot(text, a, b, false);
    if (k === scanEntity.length) grow();
    scanInfos[k] = tableInfos[slot] as WordInfo;
    // A word of the run may itself carry F_RUN (it is two letters or more); it is a word here.
    scanPacked[k] = (tableKeys[4 * slot + 2] as number) & ~F_RUN;
    scanKey[k] = tableKeys[4 * slot + 3] as number;
    scanEntity[k] = 0;
    scanNumber[k] = Number.NaN;
    k++;
  }
  return k;
}

/** Cuts `text` into words; returns their count, the words themselves in the scan buffers. */
function scan(text: string): number {
  // A long text's words are not kept alive by the buffer after the next call.
  if (scanInfos.length > 4096) scanInfos = [];
  let count = 0;
  let prevEnd = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const isDigit = isDigitCode(c);
    if (!isDigit && LETTER[c] !== 1) {
      i++;
      continue;
    }
    const start = i;
    i = wordEnd(text, start, isDigit);
    const slot = wordSlot(text, start, i, isDigit);
    const packed = tableKeys[4 * slot + 2] as number;
    const from = prevEnd;
    prevEnd = i;
    let value = Number.NaN;
    // One test for the two rare kinds of word, numbers and runs of an unspaced script.
    if ((packed & (F_NUMBER | F_RUN)) !== 0) {
      if ((packed & F_RUN) !== 0) {
        count = scanRun(text, start, i, count);
        continue;
      }
      const info = tableInfos[slot] as WordInfo;
      value = info.number as number;
      // "5 million" is 5e6: fold a following scale word into the number before it, whatever its
      // size, so "4,213 million" meets "$4.2 billion" as 4.213e9 against 4.2e9 and the rounding
      // tolerance of the comparison decides. Only a scale word right after its number (a space of
      // any width or a hyphen between: "$4.2-billion"), and not a year's before a compound:
      // "By 2030 billion-dollar rounds" keeps its year, "a 3 million-dollar grant" is 3e6.
      const prev = count - 1;
      const prevNumber = count > 0 ? (scanNumber[prev] as number) : Number.NaN;
      if (
        (packed & F_SCALE) !== 0 &&
        !Number.isNaN(prevNumber) &&
        /^[\s\u00a0\u2009\u202f-]+$/.test(text.slice(from, start)) &&
        !(
          text.charCodeAt(i) === 0x2d &&
          Number.isInteger(prevNumber) &&
          prevNumber >= 1000 &&
          prevNumber < 3000
        )
      ) {
        scanNumber[prev] = prevNumber * (info.scale as number);
        continue;
      }
    }
    if (count === scanEntity.length) grow();
    scanInfos[count] = tableInfos[slot] as WordInfo;
    scanPacked[count] = packed;
    scanKey[count] = tableKeys[4 * slot + 3] as number;
    // Whether a capital is only grammatical is asked only of capitalised words.
    scanEntity[count] =
      (packed & (F_STOP | F_NUMBER)) === 0 &&
      ((packed & F_ACRONYM) !== 0 ||
        ((packed & F_CAPITAL) !== 0 && !(count === 0 || afterBoundary(text, start, from))))
        ? 1
        : 0;
    scanNumber[count] = value;
    count++;
  }
  return count;
}

/** A token of the scan buffers, with the stem of a folded number. */
function tokenAt(k: number): Token {
  const info = scanInfos[k] as WordInfo;
  const value = scanNumber[k] as number;
  const number = Number.isNaN(value) ? undefined : value;
  const folded = number !== undefined && number !== info.number;
  const s = folded ? String(number) : info.stem;
  return {
    lower: info.lower,
    stem: s,
    key: folded ? stemKey(s) : info.key,
    entity: scanEntity[k] === 1,
    stop: info.stop,
    negation: info.negation,
    qualifier: info.qualifier,
    number,
  };
}

export function tokenize(text: string): Token[] {
  const count = scan(text);
  const out: Token[] = new Array(count);
  for (let k = 0; k < count; k++) out[k] = tokenAt(k);
  return out;
}

/** What the indexer reads of a word, shared by every occurrence of its surface form (the rest is in the flags). */
export interface ScannedWord {
  readonly stem: string;
  /** The value of the word alone, before a scale word is folded in. */
  readonly number: number | undefined;
}

/** The words of one text, read in place: the context indexer's path, which builds no Token objects. */
export interface Scan {
  count: number;
  word(k: number): ScannedWord;
  /** The word's number (scale folded in), or NaN. */
  number(k: number): number;
  /** The word's `F_*` flags. */
  flags(k: number): number;
  /** The word's stem key (`Token.key` before a scale word is folded in). */
  key(k: number): number;
  /**
   * A small integer per distinct stem, equal for equal stems while `generation` stays the same
   * (the word table starting over renumbers them).
   */
  stemId(k: number): number;
  /** The word table's generation when the scan ended. */
  generation: number;
}

const SCAN: Scan = {
  count: 0,
  word: (k) => scanInfos[k] as WordInfo,
  number: (k) => scanNumber[k] as number,
  flags: (k) => (scanPacked[k] as number) & 0xff,
  key: (k) => scanKey[k] as number,
  stemId: (k) => (scanPacked[k] as number) >>> STEM_SHIFT,
  generation: 0,
};

/** The word table's generation now: compare with `Scan.generation` to know stem ids are still valid. */
export const wordTableGeneration = (): number => tableGeneration;

/** Scans `text` into shared buffers, valid until the next call of `scanText` or `tokenize`. */
export function scanText(text: string): Scan {
  SCAN.count = scan(text);
  SCAN.generation = tableGeneration;
  return SCAN;
}

/** Content tokens: what a claim asserts, without the glue words. */
export function isContent(t: Token): boolean {
  return t.number !== undefined || (!t.stop && t.lower.length > 1) || t.negation || t.qualifier;
}

const ABBREV = /\b(?:mr|mrs|ms|dr|prof|st|jr|sr|inc|ltd|co|corp|vs|etc|e\.g|i\.e|u\.s|no|fig|approx)\.$/i;

/** Sentence split that survives "U.S.", "Dr." and the missing space in "1993.The", and splits at "。". */
export function sentences(text: string): string[] {
  const out: string[] = [];
  // CJK full stops end a sentence with no space after them.
  const re = /[.!?]+["'”’)]*(?=\s+|$|(?=[A-Z"“]))|[。！？]+[」』”’）)]*|\n+/g;
  let start = 0;
  for (const m of text.matchAll(re)) {
    const end = (m.index ?? 0) + m[0].length;
    const piece = text.slice(start, end);
    // "3.5" has no boundary; an abbreviation does not end a sentence.
    if (/\d\.$/.test(piece) && /^\d/.test(text.slice(end))) continue;
    if (ABBREV.test(piece.trim())) continue;
    if (piece.trim() !== '') out.push(piece.trim());
    start = end;
  }
  const tail = text.slice(start).trim();
  if (tail !== '') out.push(tail);
  return out;
}

/** `text.split(/\s+/).length`, without building the array: runs of whitespace, plus one. */
function splitCount(text: string): number {
  let runs = 0;
  let inRun = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpaceUnit(text.charCodeAt(i));
    if (space && !inRun) runs++;
    inRun = space;
  }
  return runs + 1;
}

/**
 * Claims: sentences, with long ones cut at clause joins, so one unsupported
 * clause is not diluted by a supported one beside it.
 */
export function claims(text: string): string[] {
  const out: string[] = [];
  for (const s of sentences(text)) {
    const words = splitCount(s);
    if (words <= 24) {
      out.push(s);
      continue;
    }
    for (const part of s.split(/;\s+|,\s+(?=(?:and|but|while|whereas|which|although)\b)/)) {
      if (part.trim() !== '') out.push(part.trim());
    }
  }
  return out;
}
