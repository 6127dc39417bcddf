import { sortShort } from '../small-sort.ts';
import { codeUnitReader, isSpaceUnit } from '../text/code-units.ts';
import { FNV_OFFSET, FNV_PRIME } from '../text/hash.ts';
import {
  englishCommon,
  englishKnown,
  firstNames,
  lastNames,
  nameParticles,
  nationalities,
  nonPersonWords,
  places,
  titles,
} from './lexicon.ts';
import { isAllCaps, isCapitalised, isLetterUnit } from './tokens.ts';
import type { Detector, PiiFinding } from './types.ts';

/** Listed as a name and not an English word: "Sandra", "Hamaguchi". */
const strongName = (w: Word) => (w.first || w.last) && !w.english && !w.nonPerson;
/** Listed as a name but also an English word: "May", "Frank", "Will". */
const weakName = (w: Word) => (w.first || w.last) && w.english && !w.nonPerson;
/** In no list at all: a foreign name, a brand, a typo. */
const unknownWord = (w: Word) => !w.first && !w.last && !w.english && !w.place && !w.nonPerson;

// Endings that mark surnames across many languages; only applied to words no English list knows.
const SURNAME_SHAPE =
  /(?:sson|sen|dóttir|dottir|ovich|evich|ovna|evna|ova|eva|ov|ev|ski|ska|sky|skiy|enko|yan|idis|opoulos|akis|oglu|oğlu|escu|ović|ovic|vić|ić|shvili|dze|chuk|berg|stein|mann|ez)$/;

// Cues read from the lower-cased 40 characters before a candidate.
const STRONG_CUE =
  /(?:\bname(?:\s+is|\s+was|'s|\s+of)?|\b(?:named|called)(?:\s+(?:him|her|me|them|it))?|\bdear|\bsigned|\battn\.?|\bsincerely|\bregards|\bcontact person|\bsurname|\bforename|\bauthor|\bpatient|\bemployee|\bsigned by|\bwritten by|\bdirected by|\bstarring|\bwife|\bhusband|\bdaughter|\bson|\bmother|\bfather|\bbrother|\bsister)\s*[:,?\-–]?\s*$/;
const WEAK_CUE =
  /(?:\bi am|\bi'm|\bthis is|\bhi|\bhello|\bhey|\bthanks|\bthank you|\bsaid|\basked|\btold|\btell|\bask|\bmeet|\bmet|\bwith|\band|\bby|\bcall|\bemail|\bwrote|\bsays|\bcc|\bspeak to|\btalk to|\bmarried|\bloves?|\bfriend|\bboss|\bmanager|\bcolleague|\bnot by|\bfeatures?|\bfeaturing|\bproducer|\bcontact)\s*[.,:]?\s*$/;
const PLACE_PREP = /\b(?:in|near|around|outside|across|visit|visiting)\s+$/;
const VOCATIVE =
  /^,\s+(?:can|could|would|will|please|i|we|do|did|are|is|have|you|thanks|thank|let's|how|what|where|when)\b/i;
// "Clark, Romero and Hall Orchestra", "Thomas and Sons": surnames naming a firm.
const ORG_TAIL =
  /^(?:(?:,\s*|\s+(?:and|&)\s+)\p{Lu}[\p{L}\p{M}'’-]*){0,4}\s*(?:(?:and|&)\s+)?(?:Sons|Daughters|Brothers|Bros|Co|Company|Partners|Associates|Orchestra|Inc|LLC|LLP|Ltd|Group|Foundation|Band|Corp|Corporation|GmbH|PLC|Consulting|Holdings|Insurance|Bank|University|College|School|Hospital|Institute)\b/u;

// First letters of ORG_TAIL's firm words (Sons, Daughters, Brothers, Co, Partners, Associates, ...).
const ORG_INITIALS = new Set('SDBCPAOILGFHU'.split('').map((c) => c.charCodeAt(0)));

/**
 * Whether ORG_TAIL could match at `end`: it opens with a comma, an ampersand, or whitespace
 * followed by "and", "&" or a firm word; after a name that is seldom, and the test costs a
 * slice and a Unicode pattern per candidate.
 */
function mayStartOrgTail(text: string, end: number): boolean {
  let c = text.charCodeAt(end);
  if (c === 44 || c === 38) return true;
  if (!isSpaceUnit(c)) return false;
  let i = end + 1;
  while (i < text.length && isSpaceUnit(text.charCodeAt(i))) i++;
  c = text.charCodeAt(i);
  return c === 97 || c === 38 || ORG_INITIALS.has(c);
}

const FIRST = 1;
const LAST = 2;
const ENGLISH = 4;
const PLACE = 8;
const NON_PERSON = 16;
const COMMON = 32;
const PARTICLE = 64;
const TITLE = 128;

// What the lexicons say about a lower-cased word, one Map probe instead of seven Set probes.
// Everyday vocabulary repeats, so the memo stays small; it is dropped wholesale if it ever grows large.
const lexiconMemo = new Map<string, number>();
const LEXICON_MEMO_LIMIT = 50_000;

function lexiconFlags(norm: string, apostrophe: boolean): number {
  const key = apostrophe ? `'${norm}` : norm;
  const known = lexiconMemo.get(key);
  if (known !== undefined) return known;
  const common = englishCommon.has(norm);
  // "I'm", "don't", "John's": the part before the apostrophe decides.
  const english = common || englishKnown.has(norm) || (apostrophe && norm.length <= 1);
  const place = places.has(norm) || nationalities.has(norm);
  const flags =
    (firstNames.has(norm) ? FIRST : 0) |
    (lastNames.has(norm) || (!english && !place && norm.length >= 5 && SURNAME_SHAPE.test(norm)) ? LAST : 0) |
    (english ? ENGLISH : 0) |
    (place ? PLACE : 0) |
    (nonPersonWords.has(norm) ? NON_PERSON : 0) |
    (common ? COMMON : 0) |
    (nameParticles.has(norm) ? PARTICLE : 0) |
    (titles.has(norm) ? TITLE : 0);
  if (lexiconMemo.size >= LEXICON_MEMO_LIMIT) lexiconMemo.clear();
  lexiconMemo.set(key, flags);
  return flags;
}

function apostropheAt(s: string): number {
  const a = s.indexOf("'");
  const b = s.indexOf('’');
  if (a < 0) return b;
  return b < 0 ? a : Math.min(a, b);
}

/**
 * A token of the text and what the lexicons say about it. Most tokens are
 * everyday words that only their flags are read of, so their strings (the
 * text, lower-cased, before an apostrophe) are cut from the source on first use.
 */
class Word {
  start = 0;
  end = 0;
  first = false;
  last = false;
  english = false;
  place = false;
  nonPerson = false;
  cap = false;
  initial = false;
  /** In the everyday-English list, a name particle ("van", "de"), a title ("Dr"). */
  common = false;
  particle = false;
  title = false;
  /** 0 not known yet, 1 no, 2 yes: whether the word is in capitals ("NASA"). */
  caps = 0;
  /** Which cue phrases the word can end (STRONG_END, …), for the word after it. */
  cue = 0;
  source = '';
  rawText: string | undefined = undefined;
  lowerText: string | undefined = undefined;

  /** Makes this the word at `[start, end)` of `source`: words are pooled between texts. */
  set(
    source: string,
    start: number,
    end: number,
    cap: boolean,
    flags: number,
    initial: boolean,
    caps: number,
    cue: number,
  ): Word {
    this.source = source;
    this.start = start;
    this.end = end;
    this.first = (flags & FIRST) !== 0;
    this.last = (flags & LAST) !== 0;
    this.english = (flags & ENGLISH) !== 0;
    this.place = (flags & PLACE) !== 0;
    this.nonPerson = (flags & NON_PERSON) !== 0;
    this.cap = cap;
    this.initial = initial;
    this.common = (flags & COMMON) !== 0;
    this.particle = (flags & PARTICLE) !== 0;
    this.title = (flags & TITLE) !== 0;
    this.caps = caps;
    this.cue = cue;
    this.rawText = undefined;
    this.lowerText = undefined;
    return this;
  }

  get text(): string {
    if (this.rawText === undefined) this.rawText = this.source.slice(this.start, this.end);
    return this.rawText;
  }

  get lower(): string {
    if (this.lowerText === undefined) this.lowerText = this.text.toLowerCase();
    return this.lowerText;
  }

  get allCaps(): boolean {
    if (this.caps === 0) this.caps = isAllCaps(this.text) ? 2 : 1;
    return this.caps === 2;
  }

  /** Lower-cased, up to an apostrophe ("John's" → "john"). */
  get norm(): string {
    const lower = this.lower;
    const apostrophe = apostropheAt(lower);
    return apostrophe > 0 ? lower.slice(0, apostrophe) : lower;
  }
}

// Lexicon and cue flags of lower-cased ASCII tokens, probed by a hash of the token's code units so
// an everyday word costs no string at all: open addressing over one table of (hash, key length, key
// offset, flags) quadruples, the lower-cased keys kept in one code-unit pool to confirm a hit;
// everything is dropped when half the slots are taken.
const SLOTS = 1 << 15;
const HASH = 0;
/** Key length per slot; 0 marks an empty slot (tokens are never empty). */
const LENGTH = 1;
const OFFSET = 2;
const FLAGS = 3;
const slots = new Int32Array(SLOTS * 4);
let keyPool = new Uint16Array(1 << 16);
let poolUsed = 0;
let slotsUsed = 0;

/** The word before a candidate can end one of the cue phrases: bits of `Word.cue`. */
const STRONG_END = 1;
const WEAK_END = 2;
const PERSON_END = 4;
const PLACE_END = 8;

function cueFlags(lower: string): number {
  return (
    (STRONG_CUE_ENDINGS.has(lower) ? STRONG_END : 0) |
    (WEAK_CUE_ENDINGS.has(lower) ? WEAK_END : 0) |
    (PERSON_CUE_ENDINGS.has(lower) ? PERSON_END : 0) |
    (PLACE_PREP_ENDINGS.has(lower) ? PLACE_END : 0)
  );
}

/** Lexicon flags, and cue flags shifted by 8, of the lower-cased token `lower`. */
function tokenFlags(lower: string): number {
  const apostrophe = apostropheAt(lower);
  const flags = lexiconFlags(apostrophe > 0 ? lower.slice(0, apostrophe) : lower, apostrophe > 0);
  return flags | (cueFlags(lower) << 8);
}

/** `tokenFlags` of the ASCII token `units[start, end)`, whose lower-cased units hash to `h`. */
function asciiFlags(text: string, units: Uint16Array, start: number, end: number, h: number): number {
  const length = end - start;
  let slot = (h & (SLOTS - 1)) << 2;
  for (;;) {
    const keyLength = slots[slot + LENGTH] as number;
    if (keyLength === 0) break;
    if (slots[slot + HASH] === h && keyLength === length) {
      const offset = (slots[slot + OFFSET] as number) - start;
      let k = start;
      while (k < end) {
        let c = units[k] as number;
        if (c >= 65 && c <= 90) c |= 32;
        if (keyPool[offset + k] !== c) break;
        k++;
      }
      if (k === end) return slots[slot + FLAGS] as number;
    }
    slot = (slot + 4) & (SLOTS * 4 - 1);
  }
  const flags = tokenFlags(text.slice(start, end).toLowerCase());
  if (slotsUsed >= SLOTS / 2) {
    slots.fill(0);
    slotsUsed = 0;
    poolUsed = 0;
    slot = (h & (SLOTS - 1)) << 2;
  }
  if (poolUsed + length > keyPool.length) {
    const bigger = new Uint16Array(Math.max(keyPool.length * 2, poolUsed + length));
    bigger.set(keyPool.subarray(0, poolUsed));
    keyPool = bigger;
  }
  for (let k = 0; k < length; k++) {
    let c = units[start + k] as number;
    if (c >= 65 && c <= 90) c |= 32;
    keyPool[poolUsed + k] = c;
  }
  slots[slot + HASH] = h;
  slots[slot + LENGTH] = length;
  slots[slot + OFFSET] = poolUsed;
  slots[slot + FLAGS] = flags;
  poolUsed += length;
  slotsUsed++;
  return flags;
}

const readUnits = codeUnitReader();
// What the scan learns of a word's code units, for `wordAt`.
const NON_ASCII = 1;
const HAS_UPPER = 2;
const HAS_LOWER = 4;
const HAS_APOSTROPHE = 8;

/** The word of `text` at `[start, end)`, with its lexicon and cue flags; `h` hashes its lower-cased units when `seen` has no NON_ASCII. */
function wordAt(
  word: Word,
  text: string,
  units: Uint16Array,
  start: number,
  end: number,
  h: number,
  seen: number,
): Word {
  const c0 = units[start] as number;
  const cap = c0 < 128 ? c0 >= 65 && c0 <= 90 : isCapitalised(text[start] as string);
  let apostrophe = (seen & HAS_APOSTROPHE) !== 0;
  let flags: number;
  let caps = 0;
  if ((seen & NON_ASCII) === 0) {
    // In capitals: more than one character, no lower-case letter, some upper-case one.
    caps = end - start > 1 && (seen & (HAS_UPPER | HAS_LOWER)) === HAS_UPPER ? 2 : 1;
    flags = asciiFlags(text, units, start, end, h);
  } else {
    const lowered = text.slice(start, end).toLowerCase();
    apostrophe = apostropheAt(lowered) > 0;
    flags = tokenFlags(lowered);
  }
  const cue = flags >> 8;
  // Most tokens are everyday lower-case words: none of the name lists count for them.
  if (!cap && !apostrophe && (flags & COMMON) !== 0)
    return word.set(
      text,
      start,
      end,
      false,
      ENGLISH | (flags & (COMMON | PARTICLE | TITLE)),
      false,
      caps,
      cue,
    );
  const initial = end - start === 1 && cap && (c0 !== 73 || text[end] === '.');
  return word.set(text, start, end, cap, flags & 0xff, initial, caps, cue);
}

// Word objects are reused from text to text (up to a bound), so a scan allocates none.
const WORD_POOL_LIMIT = 4096;
const wordPool: Word[] = [];
const wordList: Word[] = [];

/**
 * The words of `text`, as `tokenize` cuts them, each hashed in the same pass: the first
 * `count` entries of `wordList`, whose words are pooled, valid until the next call. The
 * list keeps its length from text to text: cut to each text's count, it grew again for the
 * next one, several kB of garbage a text.
 */
function wordsOf(text: string): number {
  const units = readUnits(text);
  const out = wordList;
  let count = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = units[i] as number;
    if (!isLetterUnit(c)) {
      i++;
      continue;
    }
    const start = i;
    let h = FNV_OFFSET;
    let seen = 0;
    // Letters, and a joiner (' ’ -) where a letter follows it, so a word never ends on one.
    while (i < n) {
      c = units[i] as number;
      if (c < 128) {
        if (c >= 97 && c <= 122) seen |= HAS_LOWER;
        else if (c >= 65 && c <= 90) {
          seen |= HAS_UPPER;
          c |= 32;
        } else if (c === 39 || c === 45) {
          if (i + 1 >= n || !isLetterUnit(units[i + 1] as number)) break;
          if (c === 39) seen |= HAS_APOSTROPHE;
        } else break;
      } else {
        if (!isLetterUnit(c) && (c !== 0x2019 || i + 1 >= n || !isLetterUnit(units[i + 1] as number))) break;
        seen |= NON_ASCII;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    let word = wordPool[count];
    if (word === undefined) {
      word = new Word();
      if (count < WORD_POOL_LIMIT) wordPool.push(word);
    }
    out[count++] = wordAt(word, text, units, start, i, h, seen);
  }
  // Words beyond the pool are a huge text's own: not kept once it is done.
  if (out.length > Math.max(count, WORD_POOL_LIMIT)) out.length = Math.max(count, WORD_POOL_LIMIT);
  return count;
}

/** Only spaces (and a dot after an initial or title) may sit between two parts of one name. */
function joined(text: string, a: Word, b: Word): boolean {
  const gap = b.start - a.end;
  // 1-3 spaces or tabs, or a dot and 1-3 of them.
  if (gap >= 1 && gap <= 3 && blanks(text, a.end, b.start)) return true;
  return (
    gap >= 2 &&
    gap <= 4 &&
    text.charCodeAt(a.end) === 46 &&
    blanks(text, a.end + 1, b.start) &&
    (a.initial || a.end - a.start === 1 || a.title)
  );
}

/** Whether `text[from, to)` is all spaces and tabs. */
function blanks(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function candidate(w: Word): boolean {
  if (!w.cap) return false;
  // All-caps words are headings and acronyms unless a name list knows them.
  if (w.allCaps) return (w.first || w.last) && !w.english;
  return true;
}

interface Cues {
  strong: boolean;
  weak: boolean;
  sentenceStart: boolean;
  vocative: boolean;
  placePrep: boolean;
  /** The weak cue is one that only people follow ("said", "hello"), not "with" or "by". */
  personCue: boolean;
}

/** The confidence of a run `words[from, to)` of several words, `names[0, n)` of them name words. */
function multiWordConfidence(
  words: readonly Word[],
  from: number,
  to: number,
  names: readonly Word[],
  n: number,
  cues: Cues,
): number {
  let strong = 0;
  let weak = 0;
  let unknown = 0;
  for (let k = 0; k < n; k++) {
    const w = names[k] as Word;
    if (strongName(w)) strong++;
    if (weakName(w)) weak++;
    if (unknownWord(w)) unknown++;
  }
  const plain = n - strong - weak - unknown;
  let hasInitial = false;
  let hasParticle = false;
  for (let k = from; k < to; k++) {
    const w = words[k] as Word;
    if (w.initial) hasInitial = true;
    if (w.particle && !w.cap) hasParticle = true;
  }
  const head = names[0] as Word;
  const tail = names[n - 1] as Word;
  let c = 0;
  if (strong >= 1 && plain === 0) c = 0.9;
  else if (strong + weak >= 1 && unknown >= 1 && plain === 0) c = 0.8;
  else if ((hasInitial || hasParticle) && plain === 0 && (hasInitial || strong + weak >= 1)) c = 0.8;
  else if (n === 2 && strongName(head) && head.first && !tail.place && !tail.common) c = 0.7;
  else if (weak >= 2 && plain === 0) c = head.first && !head.common && !tail.common ? 0.6 : 0.4;
  // Unlisted capitalised words around a lower-case "der"/"de" are German or Romance nouns, not a name.
  else if (unknown === n) c = hasParticle ? 0 : cues.sentenceStart ? 0.45 : 0.55;
  else if (strong >= 1) c = 0.45;
  if (cues.strong) c = Math.max(c, plain < n ? 0.9 : 0.6);
  else if (cues.weak && c > 0) c = Math.min(0.95, c + 0.15);
  return c;
}

function singleWordConfidence(w: Word, cues: Cues): number {
  // After "my name is" almost anything is a name, but not an everyday word ("… name? My …").
  if (cues.strong) return w.common && !w.first && !w.last ? 0 : 0.85;
  // A lone all-caps word ("IBAN", "NASA") is an acronym or a shout, not a name.
  if (w.place || w.allCaps) return 0;
  let c = 0;
  if (strongName(w)) c = w.first ? (cues.sentenceStart ? 0.6 : 0.7) : 0.45;
  // "Hello. My card…": a name that is also an everyday word needs more than a greeting before it.
  else if (weakName(w)) c = cues.weak && !w.common ? 0.6 : 0;
  else if (unknownWord(w)) c = cues.weak && cues.personCue ? 0.55 : 0;
  if (cues.weak && strongName(w)) c = 0.85;
  if (cues.vocative && (strongName(w) || unknownWord(w))) c = Math.max(c, 0.65);
  return c;
}

// The end-anchored cue patterns are only worth running when the word before is one they can end with.
const STRONG_CUE_ENDINGS = new Set(
  'name is was of named called him her me them it dear signed attn sincerely regards person surname forename author patient employee by starring wife husband daughter son mother father brother sister'.split(
    ' ',
  ),
);
const WEAK_CUE_ENDINGS = new Set(
  "am i'm is hi hello hey thanks you said asked told tell ask meet met with and by call email wrote says cc to married love loves friend boss manager colleague features feature featuring producer contact".split(
    ' ',
  ),
);
const PERSON_CUE_ENDINGS = new Set(
  'said asked told hi hello hey thanks married friend boss colleague manager producer meet met'.split(' '),
);
const PLACE_PREP_ENDINGS = new Set('in near around outside across visit visiting'.split(' '));

/** True when only whitespace separates `pos` from the text start or sentence-ending punctuation. */
function atSentenceStart(text: string, pos: number): boolean {
  let i = pos - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  if (i < 0) return true;
  const c = text[i] as string;
  if ('.!?:;"“(\n'.includes(c)) return true;
  // List bullets: "- Name", "> Name".
  return '-*>•'.includes(c) && (i === 0 || text[i - 1] === '\n' || text[i - 1] === ' ');
}

/** The lower-cased 40 characters before `at`. */
function lowerBefore(text: string, at: number): string {
  return text.slice(Math.max(0, at - 40), at).toLowerCase();
}

// The cues of the candidate in hand: one object, refilled for each (a scan meets hundreds).
const candidateCues: Cues = {
  strong: false,
  weak: false,
  sentenceStart: false,
  vocative: false,
  placePrep: false,
  personCue: false,
};

/** The cues around a candidate, valid until the next call. */
function cuesFor(text: string, words: Word[], headIndex: number, tail: Word, titleCue: boolean): Cues {
  const head = words[headIndex] as Word;
  const prev = words[headIndex - 1];
  const near = prev !== undefined && head.start - prev.end <= 12;
  const prevCue = near ? prev.cue : 0;
  // The 40 characters before are read only when the word before can end a cue.
  const before = (prevCue & (STRONG_END | WEAK_END | PLACE_END)) !== 0 ? lowerBefore(text, head.start) : '';
  const sentenceStart = atSentenceStart(text, head.start);
  candidateCues.strong = titleCue || ((prevCue & STRONG_END) !== 0 && STRONG_CUE.test(before));
  candidateCues.weak = (prevCue & WEAK_END) !== 0 && WEAK_CUE.test(before);
  candidateCues.sentenceStart = sentenceStart;
  candidateCues.vocative =
    sentenceStart && text[tail.end] === ',' && VOCATIVE.test(text.slice(tail.end, tail.end + 20));
  candidateCues.placePrep = (prevCue & PLACE_END) !== 0 && PLACE_PREP.test(before);
  candidateCues.personCue = (prevCue & PERSON_END) !== 0;
  return candidateCues;
}

function strongCueBefore(text: string, words: Word[], index: number): boolean {
  const prev = words[index - 1];
  const w = words[index] as Word;
  if (!prev || w.start - prev.end > 12 || (prev.cue & STRONG_END) === 0) return false;
  return STRONG_CUE.test(text.slice(Math.max(0, w.start - 40), w.start).toLowerCase());
}

// The name words of the candidate run in hand (five at most): refilled, never emptied, as an
// array cut to nothing gives up its storage and takes new storage on the next push.
const nameWords: Word[] = [];

export const detectPersons: Detector = (text, out) => {
  const count = wordsOf(text);
  const words = wordList;
  const found: PiiFinding[] = [];
  let i = 0;
  while (i < count) {
    const w = words[i] as Word;
    // Lower-case text ("my name is jacob", "leidy t muris") starts a run only from a listed name or a cue.
    const lowerStart =
      !w.cap && (strongName(w) || (!w.english && !w.nonPerson && strongCueBefore(text, words, i)));
    if (!candidate(w) && !lowerStart) {
      i++;
      continue;
    }
    // The run is words[headIndex, end): a run of joined words from i, without trailing particles.
    let j = i + 1;
    while (j < count && j - i < 5) {
      const next = words[j] as Word;
      const prev = words[j - 1] as Word;
      if (!joined(text, prev, next)) break;
      const ok = lowerStart
        ? (!next.cap && (strongName(next) || unknownWord(next) || next.end - next.start === 1)) ||
          next.particle
        : candidate(next) || next.initial || (next.particle && !next.cap);
      if (!ok) break;
      j++;
    }
    let end = j;
    while (end - i > 1 && (words[end - 1] as Word).particle) end--;
    const runStart = i;
    i = j;
    // Leading titles become cues; leading English words ("Meet", "Producer") are not part of the name.
    let titleCue = false;
    let headIndex = runStart;
    while (end > headIndex) {
      const head = words[headIndex] as Word;
      if (head.title && head.cap) {
        titleCue = true;
        headIndex++;
      } else if (head.english && !head.first && !head.last && end - headIndex > 1) {
        headIndex++;
      } else break;
    }
    if (end === headIndex || (end - headIndex > 4 && !titleCue)) continue;
    const head = words[headIndex] as Word;
    const tail = words[end - 1] as Word;
    let names = 0;
    let nonPerson = false;
    for (let k = headIndex; k < end; k++) {
      const r = words[k] as Word;
      if (r.initial || r.particle) continue;
      nameWords[names++] = r;
      if (r.nonPerson) nonPerson = true;
    }
    if (names === 0 || nonPerson) continue;
    if (mayStartOrgTail(text, tail.end) && ORG_TAIL.test(text.slice(tail.end, tail.end + 80))) continue;
    const cues = cuesFor(text, words, headIndex, tail, titleCue);
    if (lowerStart) {
      // Lower-case runs need two listed name words, or a strong cue before them.
      let listed = 0;
      let place = false;
      for (let k = 0; k < names; k++) {
        const r = nameWords[k] as Word;
        if (strongName(r) && !r.place) listed++;
        if (r.place) place = true;
      }
      if (!cues.strong && (listed < 2 || place)) continue;
    }
    let c =
      names === 1
        ? singleWordConfidence(nameWords[0] as Word, cues)
        : multiWordConfidence(words, headIndex, end, nameWords, names, cues);
    // "in Tokoza Ext", "near Porto Alegre": after these a capitalised run is far more often a place.
    if (cues.placePrep && !cues.strong) c -= 0.3;
    if (c < 0.3) continue;
    found.push({
      type: 'PERSON',
      start: head.start,
      end: tail.end,
      text: text.slice(head.start, tail.end),
      confidence: c,
    });
  }
  findNameLists(text, words, count, found);
  // A name once recognised is a name everywhere else in the text ("Jouni … Jouni Hahli").
  const known = new Set<string>();
  for (const f of found) {
    if (f.confidence < 0.7) continue;
    for (const part of f.text.toLowerCase().split(/\s+/))
      if (part.length > 2) known.add(part.replace(/['’]s$/, ''));
  }
  if (known.size > 0) {
    // A capitalised ASCII word whose lower-cased initial starts no known name needs no lower-cased copy.
    const initials = new Set<number>();
    for (const k of known) initials.add(k.charCodeAt(0));
    // A word lies inside a confident finding when one starting at or before it reaches its end:
    // swept in text order, as searching every finding for each word was quadratic in a text of
    // names. The findings this loop adds are words, so none of them holds a later word.
    const confident = sortShort(
      found.filter((f) => f.confidence >= 0.7),
      (a, b) => a.start - b.start,
    );
    let next = 0;
    let reach = -1;
    for (let k = 0; k < count; k++) {
      const w = words[k] as Word;
      if (!w.cap) continue;
      const c0 = text.charCodeAt(w.start);
      if (c0 < 128 && !initials.has(c0 | 32)) continue;
      if (!known.has(w.norm)) continue;
      while (next < confident.length && (confident[next] as PiiFinding).start <= w.start)
        reach = Math.max(reach, (confident[next++] as PiiFinding).end);
      if (reach >= w.end) continue;
      found.push({ type: 'PERSON', start: w.start, end: w.end, text: w.text, confidence: 0.75 });
    }
  }
  for (const f of found) out.push(f);
};

/** Enumerations of three or more given names ("leonti, terrence, pamela and brian"). */
function findNameLists(text: string, words: Word[], count: number, found: PiiFinding[]): void {
  let i = 0;
  while (i < count) {
    let j = i;
    while (j < count) {
      const w = words[j] as Word;
      if (!w.first || w.common || w.place) break;
      const next = j + 1 < count ? words[j + 1] : undefined;
      if (!next || !/^(?:,\s*|,?\s+(?:and|&|or)\s+)$/.test(text.slice(w.end, next.start))) {
        j++;
        break;
      }
      j++;
    }
    if (j - i >= 3) {
      for (let k = i; k < j; k++) {
        const w = words[k] as Word;
        found.push({ type: 'PERSON', start: w.start, end: w.end, text: w.text, confidence: 0.7 });
      }
    }
    i = Math.max(j, i + 1);
  }
}
