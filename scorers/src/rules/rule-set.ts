/**
 * Transparent phrase rules run on the canonical form of a text (see canonicalize.ts),
 * compiled once into a single alternation so a text is scanned once per scorer.
 * Patterns match whole words: write stems as `ignor\S*`-style with `[^ ]*`.
 *
 * A rule describes one utterance unless it says otherwise (`scope`): its match may not
 * run from one sentence or line into the next (boundaries.ts). A text where such a
 * match crosses a boundary is scanned again, as a view of its canonical form in which
 * the spaces that stand for boundaries are line feeds, with a second alternation in
 * which only rules that may span sentences read a line feed as a space.
 */
import { type CanonicalText, toSourceRange } from '../text/canonicalize.ts';
import { isSentenceBoundary, sentenceBoundaries } from './boundaries.ts';

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

export interface RuleSet {
  rules: readonly Rule[];
  groups: readonly string[];
  find(norm: CanonicalText, source: string): RuleHit[];
  /** What `find` returns, always by way of the view with boundaries (the reference it is tested against). */
  findInView(norm: CanonicalText, source: string): RuleHit[];
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
  const bounded = new RegExp(
    `(?:^|[ \\n])(?:${rules.map((r) => `(${boundedPattern(r)})`).join('|')})(?=[ \\n]|$)`,
    'g',
  );
  const groups = [...new Set(rules.map((r) => r.group))];

  function scan(re: RegExp, view: string, norm: CanonicalText, text: string): RuleHit[] {
    const hits: RuleHit[] = [];
    re.lastIndex = 0;
    let m = re.exec(view);
    while (m !== null) {
      for (let g = 1; g < m.length; g++) {
        if (m[g] === undefined) continue;
        const rule = rules[g - 1] as Rule;
        const normEnd = m.index + m[0].length;
        const normStart = normEnd - (m[g] as string).length;
        const { start, end } = toSourceRange(norm, normStart, normEnd, text);
        hits.push({ rule, normStart, normEnd, start, end, text: text.slice(start, end) });
        break;
      }
      // A match ends before its trailing space, so the next one can consume it as its leading space.
      if (m[0].length === 0) re.lastIndex++;
      m = re.exec(view);
    }
    return hits;
  }

  return {
    rules,
    groups,
    find(norm, text) {
      const hits = scan(regex, norm.text, norm, text);
      // The view's alternation accepts a subset of the plain one's matches, in the same order
      // of preference: when no plain match crosses a boundary it finds the same ones. Few
      // texts have a crossing match, and looking for one reads only the matches' own spaces.
      if (!hits.some((h) => crossesBoundary(h, norm, text))) return hits;
      return scan(bounded, boundedView(norm, text), norm, text);
    },
    findInView(norm, text) {
      return scan(bounded, boundedView(norm, text), norm, text);
    },
  };
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
