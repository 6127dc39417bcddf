/**
 * Transparent phrase rules run on the canonical form of a text (see canonicalize.ts),
 * compiled once into a single alternation so a text is scanned once per scorer.
 * Patterns match whole words: write stems as `ignor\S*`-style with `[^ ]*`.
 */
import { type CanonicalText, toSourceRange } from '../text/canonicalize.ts';

export interface Rule {
  id: string;
  /** Hand-feature name this rule feeds; rules of one group share a feature. */
  group: string;
  /** Regex source over the canonical form, without capturing groups. */
  pattern: string;
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
  const groups = [...new Set(rules.map((r) => r.group))];
  return {
    rules,
    groups,
    find(norm, text) {
      const hits: RuleHit[] = [];
      regex.lastIndex = 0;
      let m = regex.exec(norm.text);
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
        if (m[0].length === 0) regex.lastIndex++;
        m = regex.exec(norm.text);
      }
      return hits;
    },
  };
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
