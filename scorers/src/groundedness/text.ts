/**
 * Tokens, sentences and numbers for the groundedness and relevance scorers.
 * Self-contained on purpose: these run per generation in the collector and in
 * the guard's request path, so everything is one pass of regexes and Sets.
 */

export interface Token {
  /** Lowercased surface form. */
  lower: string;
  /** Matching key: a crude prefix stem, so "increased"/"increases" meet and "decreased" does not. */
  stem: string;
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

// Letters by explicit ranges (Latin, Greek to Ethiopic, CJK, Hangul) rather than \p{L}: the
// Unicode-property class costs about twice as much per character in V8, and this runs on every context.
const L =
  'A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02AF\\u0300-\\u036F\\u0370-\\u1FFF\\u3040-\\u9FFF\\uAC00-\\uD7AF';
const WORD_RE = new RegExp(`\\d+(?:[.,]\\d+)*(?:st|nd|rd|th|s)?|[${L}]+(?:['’][${L}]+)*`, 'g');

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
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '"' || c === "'" || c === '“' || c === '(') continue;
    return c === '.' || c === '!' || c === '?' || c === ':' || c === '\n';
  }
  return floor === 0;
}

interface WordInfo {
  stem: string;
  stop: boolean;
  negation: boolean;
  qualifier: boolean;
  number: number | undefined;
  scale: number | undefined;
}

// Per-word analysis, cached: word frequencies are Zipfian, so most tokens of a context are hits.
const WORDS = new Map<string, WordInfo>();
const WORD_CACHE_MAX = 50_000;

function wordInfo(lower: string, surface: string, isDigit: boolean): WordInfo {
  const cached = WORDS.get(lower);
  if (cached !== undefined) return cached;
  const number = isDigit ? parseNumber(surface) : NUMBER_WORDS.get(lower);
  const info: WordInfo = {
    stem: number !== undefined ? String(number) : stem(lower),
    stop: number === undefined && STOP.has(lower),
    negation: NEGATION.has(lower) || (lower.endsWith('t') && /n['’]t$/.test(lower)),
    qualifier: QUALIFIERS.has(lower),
    number,
    scale: SCALE.get(lower),
  };
  if (WORDS.size >= WORD_CACHE_MAX) WORDS.clear();
  WORDS.set(lower, info);
  return info;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let prevEnd = 0;
  const re = new RegExp(WORD_RE.source, 'g');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const surface = m[0];
    const start = m.index;
    const sentenceInitial = out.length === 0 || afterBoundary(text, start, prevEnd);
    prevEnd = start + surface.length;
    const lower = surface.toLowerCase();
    const first = surface.charCodeAt(0);
    const isDigit = first >= 48 && first <= 57;
    const info = wordInfo(lower, surface, isDigit);
    if (info.number !== undefined) {
      // "5 million" is 5e6: fold a following scale word into the number before it.
      const prev = out[out.length - 1];
      if (info.scale !== undefined && prev?.number !== undefined && prev.number < 1000) {
        prev.number *= info.scale;
        prev.stem = String(prev.number);
        continue;
      }
    }
    const capital = !isDigit && surface[0] !== lower[0];
    const acronym = capital && surface.length > 1 && surface === surface.toUpperCase();
    out.push({
      lower,
      stem: info.stem,
      entity: !info.stop && info.number === undefined && (acronym || (capital && !sentenceInitial)),
      stop: info.stop,
      negation: info.negation,
      qualifier: info.qualifier,
      number: info.number,
    });
  }
  return out;
}

/** Content tokens: what a claim asserts, without the glue words. */
export function isContent(t: Token): boolean {
  return t.number !== undefined || (!t.stop && t.lower.length > 1) || t.negation || t.qualifier;
}

const ABBREV = /\b(?:mr|mrs|ms|dr|prof|st|jr|sr|inc|ltd|co|corp|vs|etc|e\.g|i\.e|u\.s|no|fig|approx)\.$/i;

/** Sentence split that survives "U.S.", "Dr." and the missing space in "1993.The". */
export function sentences(text: string): string[] {
  const out: string[] = [];
  const re = /[.!?]+["'”’)]*(?=\s+|$|(?=[A-Z"“]))|\n+/g;
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

/**
 * Claims: sentences, with long ones cut at clause joins, so one unsupported
 * clause is not diluted by a supported one beside it.
 */
export function claims(text: string): string[] {
  const out: string[] = [];
  for (const s of sentences(text)) {
    const words = s.split(/\s+/).length;
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
