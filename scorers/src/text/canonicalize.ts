/**
 * Canonical form of a text for matching and hashing: lower-cased, homoglyphs and
 * full-width forms folded to ASCII, invisible characters dropped (tags read as the ASCII
 * they mirror), leetspeak undone inside words, letter runs of 3+ collapsed, "i d i o t"-style
 * spacing joined,
 * user handles and URLs replaced by placeholder words, and every run of other
 * characters reduced to one space. `origin[i]` is the offset in the original text
 * of canonical character `i`, so evidence found on the canonical form can point back
 * into what the user actually wrote.
 *
 * Runs on every scored text, so it works on reusable typed buffers, looks every
 * character's class up in one table, and skips the passes a text does not need
 * (leetspeak outside tokens with digits or symbols, the spaced-letter join when
 * no three one-letter words follow each other). `canonicalizeToScratch` leaves the
 * result in those buffers for callers that hash it straight from char codes.
 */

import { codeUnitReader, resizedLength } from './code-units.ts';

export interface CanonicalText {
  /** Canonical form, words separated by single spaces, no leading/trailing space. */
  text: string;
  /** Original offset of each canonical character. */
  origin: Int32Array;
  /** Length of the original text, for mapping a match that ends at the last character. */
  sourceLength: number;
}

const SPACE = 32;
const APOSTROPHE = 39;

// Cyrillic and Greek letters that render like Latin ones, plus a few symbols used as letters.
const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ɡ: 'g',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ℓ: 'l',
  ı: 'i',
};

/** Code point → folded code unit for the BMP; 0 means "drop this character". */
const FOLD = new Uint16Array(0x10000);
for (let c = 0; c < 0x10000; c++) FOLD[c] = c;
for (let c = 0x41; c <= 0x5a; c++) FOLD[c] = c + 32;
for (let c = 0xc0; c < 0x2000; c++) {
  if (c >= 0xd800) break;
  const lower = String.fromCharCode(c).toLowerCase();
  if (lower.length === 1) FOLD[c] = lower.charCodeAt(0);
}
/** Lookalike → Latin, applied only inside words that also hold Latin letters, so Russian or Greek text stays itself. */
const HOMO = new Uint16Array(0x10000);
for (const [from, to] of Object.entries(HOMOGLYPHS)) {
  HOMO[from.charCodeAt(0)] = to.charCodeAt(0);
  const upper = from.toUpperCase().charCodeAt(0);
  // Upper-casing "ı" gives ASCII "I", which must stay an ordinary letter.
  if (upper >= 0x80) {
    HOMO[upper] = to.charCodeAt(0);
    FOLD[upper] = from.charCodeAt(0);
  }
}
for (let c = 0xff01; c <= 0xff5e; c++) {
  const ascii = c - 0xfee0;
  FOLD[c] = ascii >= 0x41 && ascii <= 0x5a ? ascii + 32 : ascii;
}
/**
 * Unicode's default-ignorable code points in the BMP: they render as nothing, so a word with one
 * inside ("ig\uFE0Fnore", "id\u200Biot") reads as the word. Zero-width spaces and joiners, bidi
 * controls, variation selectors, Hangul fillers, invisible operators. Those past the BMP are the
 * tags and the variation selectors supplement, read in `foldAndSqueeze`.
 */
const IGNORABLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
];
for (const [from, to] of IGNORABLE_RANGES) FOLD.fill(0, from, to + 1);
// Typographic apostrophes become ASCII ones, which are then dropped inside words ("don't" → "dont").
FOLD[0x2019] = APOSTROPHE;
FOLD[0x2018] = APOSTROPHE;
FOLD[0x60] = APOSTROPHE;
FOLD[0xb4] = APOSTROPHE;

/** Letter-like: ASCII letters, Latin-1 and other alphabets, emoji halves; not punctuation blocks. */
function isLetter(c: number): boolean {
  if (c >= 97 && c <= 122) return true;
  if (c < 0xc0) return false;
  if (c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c >= 0xfe30 && c <= 0xfe4f) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Leetspeak substitutions, applied only inside tokens that also hold letters. */
const LEET = new Uint16Array(128);
LEET[48] = 111; // 0 → o
LEET[49] = 105; // 1 → i
LEET[51] = 101; // 3 → e
LEET[52] = 97; // 4 → a
LEET[53] = 115; // 5 → s
LEET[55] = 116; // 7 → t
LEET[64] = 97; // @ → a
LEET[36] = 115; // $ → s
LEET[33] = 105; // ! → i
LEET[124] = 108; // | → l

function isWhitespace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

// Whitespace folds to a plain space (nothing else folds to whitespace), so the scan tests one value.
for (let c = 0; c < 0x10000; c++) if (isWhitespace(c)) FOLD[c] = SPACE;

// Class bits of a folded character, one table read instead of a chain of range tests.
const LETTER = 1;
const DIGIT = 2;
const LATIN = 4;
const LOOKALIKE = 8;
const LEETABLE = 16;
const CLASS = new Uint8Array(0x10000);
for (let c = 0; c < 0x10000; c++) {
  CLASS[c] =
    (isLetter(c) ? LETTER : 0) |
    (isDigit(c) ? DIGIT : 0) |
    (c >= 97 && c <= 122 ? LATIN : HOMO[c] !== 0 ? LOOKALIKE : 0) |
    (c < 128 && LEET[c] !== 0 ? LEETABLE : 0);
}

// Reused between calls; grown on demand.
let bufFolded = new Uint16Array(4096);
let bufFoldedOrigin = new Int32Array(4096);
let bufOut = new Uint16Array(4096);
let bufOutOrigin = new Int32Array(4096);

function ensure(size: number): void {
  const n = resizedLength(bufFolded.length, size);
  if (n === undefined) return;
  bufFolded = new Uint16Array(n);
  bufFoldedOrigin = new Int32Array(n);
  bufOut = new Uint16Array(n);
  bufOutOrigin = new Int32Array(n);
}

const URL_WORD = [120, 117, 114, 108]; // "xurl"
const USER_WORD = [120, 117, 115, 101, 114]; // "xuser"

/** End of the user handle starting at `i` ("@name" up to whitespace or ":"), or -1 when none starts there. */
function handleEnd(text: string, i: number, len: number): number {
  const raw = text.charCodeAt(i);
  if (raw !== 64 && raw !== 0xff20) return -1;
  const next = i + 1 < len ? text.charCodeAt(i + 1) : 0;
  if (!((next >= 65 && next <= 90) || (next >= 97 && next <= 122) || isDigit(next) || next === 95)) return -1;
  let j = i + 1;
  while (j < len && !isWhitespace(text.charCodeAt(j)) && text.charCodeAt(j) !== 58) j++;
  return j;
}

/** End of the URL starting at `i` (up to whitespace), or -1 when none starts there. */
function urlEnd(text: string, i: number, len: number): number {
  const c = text.charCodeAt(i) | 32;
  const url =
    c === 104
      ? text.startsWith('http://', i) || text.startsWith('https://', i)
      : c === 119 && text.startsWith('www.', i);
  if (!url) return -1;
  let j = i;
  while (j < len && !isWhitespace(text.charCodeAt(j))) j++;
  return j;
}

const readSource = codeUnitReader();

/**
 * What stands for U+E0000 + `offset` (a surrogate pair opening DB40-DB43): every code point
 * there is invisible. Tags U+E0020-E007E mirror printable ASCII, and spell out instructions a
 * model reads and a reviewer never sees ("ASCII smuggling"): they read as that ASCII. The rest
 * (other tags, supplementary variation selectors) reads as a dropped character.
 */
function tagUnit(offset: number): number {
  return offset >= 0x20 && offset <= 0x7e ? offset : 0xfeff;
}

/** Lookalikes become Latin letters in a token that mixes them with Latin letters ("Ιgnore"). */
function foldLookalikes(folded: Uint16Array, end: number): void {
  for (let k = 0; k < end; k++) {
    const h = HOMO[folded[k] as number] as number;
    if (h !== 0) folded[k] = h;
  }
}

/** Leetspeak undone in a token of `t` characters that holds letters. */
function undoLeet(folded: Uint16Array, t: number): void {
  // A trailing digit run is a number, not leetspeak ("gpt4", "rot13", "covid19").
  let end = t;
  while (end > 0 && isDigit(folded[end - 1] as number)) end--;
  for (let k = 0; k < end; k++) {
    const c = folded[k] as number;
    if (c >= 128) continue;
    const sub = LEET[c] as number;
    if (sub === 0) continue;
    // "!", "@" and "|" stand for letters only between letters ("b!tch", "f@g"), not as punctuation ("no!!!").
    if (
      (c === 33 || c === 64 || c === 124) &&
      !(
        k > 0 &&
        k < t - 1 &&
        isLetterOrLeet(folded[k - 1] as number) &&
        ((CLASS[folded[k + 1] as number] as number) & LETTER) !== 0
      )
    )
      continue;
    folded[k] = sub;
  }
}

function isLetterOrLeet(c: number): boolean {
  return ((CLASS[c] as number) & (LETTER | LEETABLE)) !== 0;
}

/** Output of the fused pass: its length, and whether three one-letter words follow each other in it. */
let squeezedLength = 0;
let spelledRun = false;

/**
 * One pass over the text, a whitespace-delimited token at a time: fold characters, drop
 * invisible ones and read tags as ASCII (`tagUnit`), swap handles and URLs for placeholder
 * words; undo lookalikes and leetspeak inside tokens that hold letters; then keep letters and digits, collapse letter runs of 3+ to
 * one ("stuuupid" → "stupid"), drop apostrophes, one space between words.
 */
function foldAndSqueeze(text: string, len: number): void {
  const src = readSource(text);
  // The current token, folded; folded[t] is a 0 sentinel (never a folded character) for run checks.
  const folded = bufFolded;
  const foldedOrigin = bufFoldedOrigin;
  const out = bufOut;
  const outOrigin = bufOutOrigin;
  let m = 0;
  let pendingSpace = false;
  let wordStart = 0;
  let spelled = 0;
  let spelledFound = false;
  let tokenStart = true;
  let i = 0;
  while (i < len || i === len) {
    // Gather one token.
    let t = 0;
    let classes = 0;
    let delimited = false;
    while (i < len) {
      const raw = src[i] as number;
      // Only "@", "＠", "h" and "w" can open a placeholder, and only at a token start.
      if (tokenStart && (raw === 64 || raw === 0xff20 || (raw | 32) === 104 || (raw | 32) === 119)) {
        let end = handleEnd(text, i, len);
        const word = end !== -1 ? USER_WORD : URL_WORD;
        if (end === -1) end = urlEnd(text, i, len);
        if (end !== -1) {
          // The placeholder is a token of its own, followed by a space.
          for (const w of word) {
            folded[t] = w;
            foldedOrigin[t++] = i;
          }
          classes = LETTER | LATIN;
          i = end;
          tokenStart = false;
          delimited = true;
          break;
        }
      }
      const at = i++;
      let unit = raw;
      if (raw >= 0xdb40 && raw <= 0xdb43 && i < len) {
        const low = src[i] as number;
        if (low >= 0xdc00 && low <= 0xdfff) {
          i++;
          unit = tagUnit(((raw - 0xdb40) << 10) | (low - 0xdc00));
        }
      }
      const f = FOLD[unit] as number;
      if (f === SPACE) {
        tokenStart = true;
        delimited = true;
        break;
      }
      tokenStart = false;
      if (f === 0) continue;
      folded[t] = f;
      foldedOrigin[t++] = at;
      classes |= CLASS[f] as number;
    }
    if (i === len && !delimited) i++;
    folded[t] = 0;
    if ((classes & LETTER) !== 0) {
      if ((classes & (LATIN | LOOKALIKE)) === (LATIN | LOOKALIKE)) foldLookalikes(folded, t);
      if ((classes & LEETABLE) !== 0) undoLeet(folded, t);
    }
    // Squeeze the token into the output.
    let k = 0;
    while (k < t) {
      const c = folded[k] as number;
      const cls = CLASS[c] as number;
      if ((cls & (LETTER | DIGIT)) === 0) {
        if (c !== APOSTROPHE && m > 0) pendingSpace = true;
        k++;
        continue;
      }
      if (pendingSpace) {
        if (m - wordStart === 1 && ((CLASS[out[wordStart] as number] as number) & LETTER) !== 0) {
          if (++spelled >= 3) spelledFound = true;
        } else spelled = 0;
        out[m] = SPACE;
        outOrigin[m++] = foldedOrigin[k] as number;
        wordStart = m;
        pendingSpace = false;
      }
      // Most characters are not repeated: skip the run count.
      if (folded[k + 1] !== c) {
        out[m] = c;
        outOrigin[m++] = foldedOrigin[k] as number;
        k++;
        continue;
      }
      let run = 2;
      while (k + run < t && folded[k + run] === c) run++;
      const keep = run >= 3 && (cls & LETTER) !== 0 ? 1 : run;
      for (let r = 0; r < keep; r++) {
        out[m] = c;
        outOrigin[m++] = foldedOrigin[k + r] as number;
      }
      k += run;
    }
    if (delimited && m > 0) pendingSpace = true;
  }
  if (m - wordStart === 1 && ((CLASS[out[wordStart] as number] as number) & LETTER) !== 0 && ++spelled >= 3)
    spelledFound = true;
  squeezedLength = m;
  spelledRun = spelledFound;
}

/** Pass 4: join runs of 3+ single-letter words ("i d i o t" → "idiot"). */
function joinSpelled(m: number): number {
  const out = bufOut;
  const outOrigin = bufOutOrigin;
  let w = 0;
  let k = 0;
  while (k < m) {
    if (isSingleLetterWord(out, k, m)) {
      let end = k;
      let count = 0;
      while (end < m && isSingleLetterWord(out, end, m)) {
        count++;
        end += 2;
      }
      if (count >= 3) {
        for (let q = k; q < end && q < m; q += 2) {
          out[w] = out[q] as number;
          outOrigin[w++] = outOrigin[q] as number;
        }
        k = end - 1;
        if (k < m && out[k] === SPACE) {
          out[w] = SPACE;
          outOrigin[w++] = outOrigin[k] as number;
          k++;
        }
        continue;
      }
    }
    out[w] = out[k] as number;
    outOrigin[w++] = outOrigin[k] as number;
    k++;
  }
  return w;
}

/** Whether a one-letter word starts at `k` (preceded by start or space, followed by end or space). */
function isSingleLetterWord(out: Uint16Array, k: number, m: number): boolean {
  if (k > 0 && out[k - 1] !== SPACE) return false;
  if (!isLetter(out[k] as number)) return false;
  return k + 1 >= m || out[k + 1] === SPACE;
}

/** A canonical form held in the module's scratch buffers. */
export interface CanonicalScratch {
  /** Code units of the canonical form in `[0, length)`. */
  chars: Uint16Array;
  /** Original offset of each of them. */
  origin: Int32Array;
  length: number;
  sourceLength: number;
}

const scratch: CanonicalScratch = { chars: bufOut, origin: bufOutOrigin, length: 0, sourceLength: 0 };

/**
 * The canonical form of `text` in scratch buffers that the next call overwrites:
 * for callers that read it once (hash it, copy it) and keep nothing.
 */
export function canonicalizeToScratch(text: string): CanonicalScratch {
  const len = text.length;
  // Placeholders can be longer than the handle they replace ("@a" → "xuser").
  ensure(len * 3 + 16);
  foldAndSqueeze(text, len);
  let m = squeezedLength;
  if (spelledRun) m = joinSpelled(m);
  while (m > 0 && bufOut[m - 1] === SPACE) m--;
  scratch.chars = bufOut;
  scratch.origin = bufOutOrigin;
  scratch.length = m;
  scratch.sourceLength = len;
  return scratch;
}

export function canonicalize(text: string): CanonicalText {
  const s = canonicalizeToScratch(text);
  return {
    text: charsToString(s.chars, s.length),
    origin: s.origin.slice(0, s.length),
    sourceLength: s.sourceLength,
  };
}

// Node's Buffer decodes bytes as Latin-1 without a per-character call; elsewhere fromCharCode does.
const latin1Slice = (globalThis as { Buffer?: { prototype: { latin1Slice?: unknown } } }).Buffer?.prototype
  .latin1Slice as ((this: Uint8Array, start: number, end: number) => string) | undefined;
let latin1Bytes = new Uint8Array(4096);

/** The string of `chars[0, length)`; Latin-1 text (most of it) goes through a byte copy, several times faster than `fromCharCode`. */
export function charsToString(chars: Uint16Array, length: number): string {
  if (latin1Slice !== undefined) {
    const resized = resizedLength(latin1Bytes.length, length);
    if (resized !== undefined) latin1Bytes = new Uint8Array(resized);
    // Copy the low bytes while checking that no high byte is set; a wide text falls through.
    const bytes = latin1Bytes;
    let wide = 0;
    for (let i = 0; i < length; i++) {
      const c = chars[i] as number;
      wide |= c;
      bytes[i] = c;
    }
    if (wide < 256) return latin1Slice.call(bytes, 0, length);
  }
  let s = '';
  for (let start = 0; start < length; start += 4096) {
    s += String.fromCharCode.apply(
      null,
      chars.subarray(start, Math.min(length, start + 4096)) as unknown as number[],
    );
  }
  return s;
}

/**
 * Maps a [start, end) range of the canonical form back to the original text. Given that text,
 * a range ending on a tag (one canonical character for a surrogate pair) takes its second half too.
 */
export function toSourceRange(
  norm: CanonicalText,
  start: number,
  end: number,
  source?: string,
): { start: number; end: number } {
  const s = norm.origin[start] ?? norm.sourceLength;
  const last = end > start ? (norm.origin[end - 1] ?? s) : s;
  let e = last + 1;
  if (source !== undefined && e < source.length) {
    const high = source.charCodeAt(last);
    const low = source.charCodeAt(e);
    if (high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) e++;
  }
  return { start: s, end: Math.min(norm.sourceLength, e) };
}
