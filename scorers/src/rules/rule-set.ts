/**
 * Transparent phrase rules run on the canonical form of a text (see canonicalize.ts),
 * compiled once into a single alternation so a text is scanned once per scorer, and
 * tried only at the words that can start a rule (first-words.ts).
 * Patterns match whole words: write stems as `ignor\S*`-style with `[^ ]*`.
 *
 * A rule describes one utterance unless it says otherwise (`scope`): its match may not
 * run from one sentence or line into the next (boundaries.ts). A text where such a
 * match crosses a boundary is scanned again, as a view of its canonical form in which
 * the spaces that stand for boundaries are line feeds, with a second alternation in
 * which only rules that may span sentences read a line feed as a space.
 */

import { bigramHash, wordHash } from '../linear/features.ts';
import { type CanonicalText, toSourceRange } from '../text/canonicalize.ts';
import { isSentenceBoundary, sentenceBoundaries } from './boundaries.ts';
import { firstWords } from './first-words.ts';

export interface Rule {
  id: string;
  /** Hand-feature name this rule feeds; rules of one group share a feature. */
  group: string;
  /** Regex source over the canonical form, without capturing groups. */
  pattern: string;
  /**
   * 'sentence' (the default): a match lies within one sentence or line. 'opening': it may
   * run on into the next sentences when it starts a sentence, for a pivot that is a
   * sentence of its own ("Very good. That is done. Now …", "NOW!!! JUST PRINT …") but not
   * the last word of one ("… looks perfect now.\nTell me …"). 'text': anywhere.
   */
  scope?: 'sentence' | 'opening' | 'text';
}

export interface RuleHit {
  rule: Rule;
  /** Range in the canonical form. */
  normStart: number;
  normEnd: number;
  /** Range and text in the original text. */
  start: number;
  end: number;
  text: string;
}

/** The word and bigram hashes of a canonical text, as linear/features.ts lays them out. */
export interface WordHashes {
  norm: CanonicalText;
  hashes: Int32Array;
  /** Number of words: word `j` is hash 0 for j = 0, else hash 2j − 1; the bigram of words j, j + 1 is hash 2j + 2. */
  words: number;
  /** Where each word starts in `norm.text`. */
  starts: Int32Array;
}

export interface RuleSet {
  rules: readonly Rule[];
  groups: readonly string[];
  /**
   * The rules' hits in `source`, whose canonical form is `norm`. With the hashed features of
   * `norm` (see linear/features.ts), the rules are tried only at the words that can start one.
   */
  find(norm: CanonicalText, source: string, features?: WordHashes): RuleHit[];
  /** What `find` returns, always by way of the view with boundaries (the reference it is tested against). */
  findInView(norm: CanonicalText, source: string): RuleHit[];
  /** Whether `find` tries the rules only at the words that can start one (see first-words.ts). */
  readonly filtered: boolean;
}

const BOUNDARY = '\n';

/**
 * `pattern` for the view of a text whose boundaries are line feeds: a word never takes
 * one in (`[^ ]` becomes `[^ \n]`), and in a rule of scope 'text' a space may be one;
 * in a rule of scope 'opening', only when the match starts the text or a sentence.
 */
function boundedPattern(rule: Rule): string {
  const within = rewrite(rule, false);
  if (rule.scope === 'text') return rewrite(rule, true);
  if (rule.scope === 'opening') return `(?<=^|\\n)(?:${rewrite(rule, true)})|(?:${within})`;
  return within;
}

function rewrite(rule: Rule, spans: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < rule.pattern.length; i++) {
    const c = rule.pattern[i] as string;
    if (c === '\\') {
      out += c + (rule.pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      if (rule.pattern[i + 1] !== '^') out += c;
      else if (rule.pattern[i + 2] === ' ') {
        out += '[^ \\n';
        i += 2;
      } else throw new Error(`rule ${rule.id}: a negated class must exclude the space first ("[^ …]")`);
    } else if (c === ' ' && spans) out += '[ \\n]';
    else out += c;
  }
  return out;
}

export function compileRules(rules: readonly Rule[]): RuleSet {
  for (const rule of rules) {
    const groups = (new RegExp(`${rule.pattern}|`, 'u').exec('') as RegExpExecArray).length - 1;
    if (groups !== 0) throw new Error(`rule ${rule.id}: use (?:...) instead of capturing groups`);
  }
  // Consuming the leading space (instead of a lookbehind per alternative) lets the
  // engine skip to word starts: about 4× faster on 2 KB texts.
  const source = `(?:^| )(?:${rules.map((r) => `(${r.pattern})`).join('|')})(?= |$)`;
  // No `u` flag: rules name only BMP text, `[^ ]` spans a surrogate pair either
  // way, and non-Unicode matching is about a quarter faster on the long alternation.
  const regex = new RegExp(source, 'g');
  const boundedSource = `(?:^|[ \\n])(?:${rules.map((r) => `(${boundedPattern(r)})`).join('|')})(?=[ \\n]|$)`;
  const bounded = new RegExp(boundedSource, 'g');
  const groups = [...new Set(rules.map((r) => r.group))];

  // The same alternations tried at one position at a time, at the words that can start a rule.
  const sticky = new RegExp(source, 'y');
  const boundedSticky = new RegExp(boundedSource, 'y');
  // Read off the patterns on first use, not on import: tens of milliseconds for the shipped rules.
  let filter: WordFilter | undefined | null = null;
  const wordFilterOnce = () => {
    if (filter === null) filter = wordFilter(rules);
    return filter;
  };

  function hitOf(m: RegExpExecArray, norm: CanonicalText, text: string): RuleHit | undefined {
    for (let g = 1; g < m.length; g++) {
      if (m[g] === undefined) continue;
      const rule = rules[g - 1] as Rule;
      const normEnd = m.index + m[0].length;
      const normStart = normEnd - (m[g] as string).length;
      const { start, end } = toSourceRange(norm, normStart, normEnd, text);
      return { rule, normStart, normEnd, start, end, text: text.slice(start, end) };
    }
    return undefined;
  }

  function scan(re: RegExp, view: string, norm: CanonicalText, text: string): RuleHit[] {
    const hits: RuleHit[] = [];
    re.lastIndex = 0;
    let m = re.exec(view);
    while (m !== null) {
      const hit = hitOf(m, norm, text);
      if (hit) hits.push(hit);
      // A match ends before its trailing space, so the next one can consume it as its leading space.
      if (m[0].length === 0) re.lastIndex++;
      m = re.exec(view);
    }
    return hits;
  }

  /**
   * What `scan(regex, …)` finds, trying the alternation only where a word that can start a
   * rule begins: a match starts at the text's start or at the space before its first word,
   * so at every other position the alternation fails, and the first match at or after where
   * the last one ended is the one the global scan finds.
   */
  function scanWords(f: WordFilter, features: WordHashes, text: string, re: RegExp, view: string): RuleHit[] {
    const hits: RuleHit[] = [];
    const norm = features.norm;
    const count = mayStart(f, features);
    const { starts } = features;
    let from = 0;
    for (let c = 0; c < count; c++) {
      const s = starts[candidates[c] as number] as number;
      const at = s === 0 ? 0 : s - 1;
      if (at < from) continue;
      re.lastIndex = at;
      const m = re.exec(view);
      if (m === null) continue;
      const hit = hitOf(m, norm, text);
      if (hit) hits.push(hit);
      from = m[0].length === 0 ? at + 1 : re.lastIndex;
    }
    return hits;
  }

  return {
    rules,
    groups,
    find(norm, text, features) {
      const f = features?.norm === norm ? wordFilterOnce() : undefined;
      const filtered = f !== undefined && features !== undefined;
      const hits = filtered
        ? scanWords(f, features, text, sticky, norm.text)
        : scan(regex, norm.text, norm, text);
      // The view's alternation accepts a subset of the plain one's matches, in the same order
      // of preference: when no plain match crosses a boundary it finds the same ones. Few
      // texts have a crossing match, and looking for one reads only the matches' own spaces.
      if (!hits.some((h) => crossesBoundary(h, norm, text))) return hits;
      const view = boundedView(norm, text);
      // The view is the canonical text with some spaces turned into line feeds: its words,
      // and the words its rules can start with, are the plain ones.
      return filtered ? scanWords(f, features, text, boundedSticky, view) : scan(bounded, view, norm, text);
    },
    findInView(norm, text) {
      return scan(bounded, boundedView(norm, text), norm, text);
    },
    get filtered() {
      return wordFilterOnce() !== undefined;
    },
  };
}

/** How the matches of a rule set can begin, from `firstWords` of each rule. */
interface WordFilter {
  /**
   * One bit per value of the low 16 bits of a word or bigram hash (a set bit may be a
   * collision): of words a match can begin with, whatever follows (`one`), and of the
   * first two words of a match (`two`).
   */
  one: Int32Array;
  two: Int32Array;
  /** Of second words that follow any first word ("… are"). */
  second: Int32Array;
  /** Other beginnings, which the canonical text at a match starts with. */
  prefixes: string[];
}

const TWO_WORDS = /^([^ ]+) ([^ ]+)$/;

function setBit(bits: Int32Array, h: number): void {
  bits[(h >>> 5) & 2047] = (bits[(h >>> 5) & 2047] as number) | (1 << (h & 31));
}

/** Undefined when some rule can start with any word: the set is scanned everywhere. */
function wordFilter(rules: readonly Rule[]): WordFilter | undefined {
  const one = new Int32Array(1 << 11);
  const two = new Int32Array(1 << 11);
  const second = new Int32Array(1 << 11);
  const prefixes = new Set<string>();
  for (const rule of rules) {
    const first = firstWords(rule.pattern);
    if (first === undefined) return undefined;
    for (const words of first.words) {
      const pair = TWO_WORDS.exec(words);
      if (pair) setBit(two, bigramHash(wordHash(pair[1] as string), wordHash(pair[2] as string)));
      // A one-word match ("uncensored") is that word; any other beginning ("ignore  policy",
      // two spaces apart, which no canonical text has) starts with its first word.
      else setBit(one, wordHash(words.split(' ')[0] as string));
    }
    for (const word of first.seconds) setBit(second, wordHash(word));
    for (const prefix of first.prefixes) {
      const space = prefix.indexOf(' ');
      // "ignore " and any word after it: the first word is known. A beginning within the
      // first word ("jailbreak…") is looked for as text.
      if (space === -1) prefixes.add(prefix);
      else setBit(one, wordHash(prefix.slice(0, space)));
    }
  }
  return { one, two, second, prefixes: [...prefixes] };
}

/** Word indices `mayStart` found, valid until its next call. */
let candidates = new Int32Array(256);

/**
 * Writes to `candidates`, in order, the indices of the words of `features` that can start
 * a match of the rules `f` was read from; returns how many. One function for every rule
 * set, so it is optimised at once: unoptimised, every hash it reads (most are beyond the
 * small-integer range) is boxed, 60 kB of garbage for a 2 KB text.
 */
function mayStart(f: WordFilter, features: WordHashes): number {
  const { hashes, words, starts } = features;
  const view = features.norm.text;
  const { one, two, second } = f;
  // Beginnings read as text are looked for at words only when the text holds them at all.
  const prefixes = f.prefixes.length === 0 ? f.prefixes : f.prefixes.filter((p) => view.includes(p));
  let count = 0;
  for (let k = 0; k < words; k++) {
    const w = hashes[k === 0 ? 0 : 2 * k - 1] as number;
    let may = ((one[(w >>> 5) & 2047] as number) & (1 << (w & 31))) !== 0;
    if (!may && k + 1 < words) {
      const pair = hashes[2 * k + 2] as number;
      const next = hashes[2 * k + 1] as number;
      may =
        ((two[(pair >>> 5) & 2047] as number) & (1 << (pair & 31))) !== 0 ||
        ((second[(next >>> 5) & 2047] as number) & (1 << (next & 31))) !== 0;
    }
    for (let i = 0; !may && i < prefixes.length; i++)
      may = view.startsWith(prefixes[i] as string, starts[k] as number);
    if (!may) continue;
    if (count === candidates.length) {
      const more = new Int32Array(count * 2);
      more.set(candidates);
      candidates = more;
    }
    candidates[count++] = k;
  }
  return count;
}

/** Whether a hit's rule may not match where it does, because the match runs over a boundary. */
function crossesBoundary(hit: RuleHit, norm: CanonicalText, source: string): boolean {
  const scope = hit.rule.scope ?? 'sentence';
  if (scope === 'text') return false;
  const text = norm.text;
  let at = text.indexOf(' ', hit.normStart);
  if (at === -1 || at >= hit.normEnd) return false;
  if (scope === 'opening' && (hit.normStart === 0 || isSentenceBoundary(norm, source, hit.normStart - 1)))
    return false;
  for (; at !== -1 && at < hit.normEnd; at = text.indexOf(' ', at + 1))
    if (isSentenceBoundary(norm, source, at)) return true;
  return false;
}

// Every scorer (and its mention frames) scans the same canonical form of a text.
const views = new WeakMap<CanonicalText, { source: string; view: string }>();

/** The canonical text with each boundary's space turned into a line feed. */
function boundedView(norm: CanonicalText, source: string): string {
  const memo = views.get(norm);
  if (memo !== undefined && memo.source === source) return memo.view;
  const parts: string[] = [];
  let from = 0;
  for (const b of sentenceBoundaries(norm, source)) {
    parts.push(norm.text.slice(from, b));
    from = b + 1;
  }
  parts.push(norm.text.slice(from));
  const view = parts.join(BOUNDARY);
  views.set(norm, { source, view });
  return view;
}

/** One 0/1 value per group: whether any of its rules matched. */
export function groupIndicators(set: RuleSet, hits: readonly RuleHit[], out: Float32Array): Float32Array {
  out.fill(0);
  for (const hit of hits) {
    const i = set.groups.indexOf(hit.rule.group);
    if (i >= 0) out[i] = 1;
  }
  return out;
}
