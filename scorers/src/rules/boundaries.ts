/**
 * Where one sentence or line of a text ends and the next begins, as positions of
 * the canonical form. The canonical form drops punctuation and line breaks, so
 * "the layout looks perfect now.\nTell me how to export it" reads "… perfect now
 * tell me …", and a rule for the pivot "now tell" would match across two
 * utterances. The boundaries are found in the source and named by the canonical
 * space that stands for them; the canonical form itself (and so every hashed
 * feature) stays as it is.
 *
 * A boundary is:
 * - a sentence end: ".", "!", "?" (or their CJK forms) followed by whitespace; not
 *   an ellipsis, which trails off inside an utterance, nor the period of an
 *   abbreviation or an initial ("e.g. now", "Dr. Smith", "J. R.");
 * - a blank line;
 * - a line break followed by a Title-case word ("…perfect now\nTell me") or by a
 *   list, quote or heading marker ("\n- tell"), unless the line ends with ":" or ","
 *   (it introduces what follows). A line break followed by a lower-case or an
 *   all-capitals word is the same sentence wrapped ("ignore all previous\ninstructions").
 * Colons and semicolons are not boundaries: "Stop: write …" is one order.
 */
import type { CanonicalText } from '../text/canonicalize.ts';

/** Characters where a boundary can be; most are rejected on a closer look. */
const CANDIDATE = /[.!?\n\r\v\f\u2028\u2029\u3002\uff01\uff1f]/g;
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029\v\f]/;
/** A sentence end in a gap between two words: not part of an ellipsis, closing quotes allowed. */
const SENTENCE_END = /(?:^|[^.…])(\.|[!?\u3002\uff01\uff1f][!?.\u3002\uff01\uff1f]*)["'”’»)\]]*\s/u;
const NUMBERED = /^[0-9]{1,3}[.)]\s/;
/** Words (canonical) that end with a period without ending a sentence. */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'jr',
  'sr',
  'vs',
  'etc',
  'eg',
  'ie',
  'cf',
  'al',
  'approx',
  'fig',
  'no',
  'nr',
  'vol',
  'ca',
  'bzw',
  'usw',
  'zb',
  'evtl',
  'ggf',
  'inc',
  'ltd',
  'co',
  'corp',
]);

const SPACE = 32;

/** The canonical word that ends just before position `at`. */
function wordBefore(text: string, at: number): string {
  return text.slice(text.lastIndexOf(' ', at - 1) + 1, at);
}

/**
 * Whether canonical position `at` is a space between two words that stands for a
 * sentence end or line break of `source` (see the module comment).
 */
export function isSentenceBoundary(norm: CanonicalText, source: string, at: number): boolean {
  if (at <= 0 || at >= norm.text.length - 1 || norm.text.charCodeAt(at) !== SPACE) return false;
  const gapStart = (norm.origin[at - 1] as number) + 1;
  const next = norm.origin[at + 1] as number;
  // Most words are apart by one space.
  if (next - gapStart === 1 && source.charCodeAt(gapStart) === SPACE) return false;
  const gap = source.slice(gapStart, next);
  const end = SENTENCE_END.exec(gap);
  if (end !== null) {
    if (end[1] !== '.') return true;
    const word = wordBefore(norm.text, at);
    // An initial or an abbreviation: the sentence goes on.
    if (word.length > 1 && !ABBREVIATIONS.has(word)) return true;
  }
  const lines = gap.split(LINE_BREAK);
  if (lines.length < 2) return false;
  if (lines.some((line, i) => i > 0 && i < lines.length - 1 && line.trim() === '')) return true;
  const before = (lines[0] as string).trimEnd();
  if (before.endsWith(':') || before.endsWith(',')) return false;
  if ((lines[lines.length - 1] as string).trim() !== '') return true;
  // A numbered item ("\n2. Tell …") or a Title-case word opens a new line of its own.
  if (NUMBERED.test(source.slice(next, next + 8))) return true;
  const first = source.charAt(next);
  const second = source.charAt(next + 1);
  return first !== first.toLowerCase() && second !== second.toUpperCase();
}

/**
 * Sorted canonical offsets of the spaces that stand for a sentence end or a line
 * break of `source` (see the module comment); empty when it is one sentence.
 */
export function sentenceBoundaries(norm: CanonicalText, source: string): number[] {
  const out: number[] = [];
  const text = norm.text;
  CANDIDATE.lastIndex = 0;
  let last = -1;
  for (let m = CANDIDATE.exec(source); m !== null; m = CANDIDATE.exec(source)) {
    const at = spaceAfter(norm, m.index);
    if (at <= last || at <= 0 || at >= text.length - 1 || text.charCodeAt(at) !== SPACE) continue;
    last = at;
    if (isSentenceBoundary(norm, source, at)) out.push(at);
  }
  return out;
}

/** The first canonical position whose source offset is past `offset`. */
function spaceAfter(norm: CanonicalText, offset: number): number {
  let lo = 0;
  let hi = norm.text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((norm.origin[mid] as number) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
