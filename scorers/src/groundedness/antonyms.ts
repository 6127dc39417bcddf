/**
 * Opposites: an answer that says "decreased" where its aligned context says
 * "increased" reuses the context's topic words and only flips the relation, so
 * word overlap cannot see it. A short list of directional pairs plus the
 * negative prefixes (in-, un-, dis-, mis-, non-) covers most such edits.
 */
import { stem } from './text.ts';

const PAIRS: readonly [string, string][] = [
  ['increase', 'decrease'],
  ['increase', 'reduce'],
  ['increase', 'cut'],
  ['rise', 'fall'],
  ['rise', 'decline'],
  ['grow', 'shrink'],
  ['grow', 'decline'],
  ['gain', 'loss'],
  ['gain', 'lose'],
  ['profit', 'loss'],
  ['above', 'below'],
  ['over', 'under'],
  ['more', 'less'],
  ['more', 'fewer'],
  ['higher', 'lower'],
  ['high', 'low'],
  ['up', 'down'],
  ['before', 'after'],
  ['earlier', 'later'],
  ['first', 'last'],
  ['early', 'late'],
  ['accept', 'reject'],
  ['agree', 'disagree'],
  ['approve', 'reject'],
  ['support', 'oppose'],
  ['present', 'deny'],
  ['confirm', 'deny'],
  ['cheap', 'expensive'],
  ['cheaper', 'expensive'],
  ['positive', 'negative'],
  ['strong', 'weak'],
  ['large', 'small'],
  ['big', 'small'],
  ['long', 'short'],
  ['fast', 'slow'],
  ['easy', 'difficult'],
  ['easy', 'hard'],
  ['simple', 'complex'],
  ['success', 'failure'],
  ['succeed', 'fail'],
  ['win', 'lose'],
  ['open', 'close'],
  ['start', 'end'],
  ['begin', 'end'],
  ['include', 'exclude'],
  ['buy', 'sell'],
  ['visual', 'auditory'],
  ['explicit', 'implicit'],
  ['internal', 'external'],
  ['maximum', 'minimum'],
  ['maximize', 'minimize'],
  ['best', 'worst'],
  ['better', 'worse'],
  ['improve', 'worsen'],
  ['always', 'never'],
  ['all', 'none'],
  ['many', 'few'],
  ['male', 'female'],
  ['north', 'south'],
  ['east', 'west'],
  ['old', 'new'],
  ['old', 'young'],
  ['private', 'public'],
  ['domestic', 'foreign'],
  ['luxury', 'basic'],
];

const OPPOSITES = new Map<string, Set<string>>();
for (const [a, b] of PAIRS) {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const key = stem(x);
    const set = OPPOSITES.get(key) ?? new Set<string>();
    set.add(stem(y));
    OPPOSITES.set(key, set);
  }
}

const PREFIXES = ['in', 'im', 'il', 'ir', 'un', 'dis', 'mis', 'non'];

// Every answer word off its aligned window asks; words repeat, so the answers are kept.
const CACHE = new Map<string, readonly string[]>();
const CACHE_MAX = 20_000;

/** Stems that mean the opposite of `lower` (a lowercased word). */
export function opposites(lower: string): readonly string[] {
  const cached = CACHE.get(lower);
  if (cached !== undefined) return cached;
  const out = [...(OPPOSITES.get(stem(lower)) ?? [])];
  for (const p of PREFIXES) {
    if (lower.length > p.length + 3 && lower.startsWith(p)) out.push(stem(lower.slice(p.length)));
    out.push(stem(p + lower));
  }
  if (CACHE.size >= CACHE_MAX) CACHE.clear();
  CACHE.set(lower, out);
  return out;
}
