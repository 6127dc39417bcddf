/**
 * A context (the documents retrieved for one generation) indexed once, so every
 * claim of every answer scored against it is a few Map look-ups. Build it once
 * per trace with `indexContext` and pass it to `groundedness` or
 * `contextRelevance` as many times as needed.
 */
import { isContent, sentences, type Token, tokenize } from './text.ts';

export interface ContextSentence {
  text: string;
  doc: number;
  negated: boolean;
}

export interface ContextIndex {
  readonly sentences: readonly ContextSentence[];
  /** stem → ids of sentences holding it, ascending. */
  readonly postings: ReadonlyMap<string, readonly number[]>;
  readonly numbers: readonly number[];
  /** Content stem → numbers written next to it ("Tier 1", "3 percent"): a changed figure keeps its word. */
  readonly numbersBeside: ReadonlyMap<string, ReadonlySet<number>>;
  /** Adjacent stem pairs, for multi-word names. */
  readonly bigrams: ReadonlySet<string>;
  /** Content-token count, for the relevance scorers. */
  readonly contentTokens: number;
}

export function indexContext(context: readonly string[] | string): ContextIndex {
  const docs = typeof context === 'string' ? [context] : context;
  const out: ContextSentence[] = [];
  const postings = new Map<string, number[]>();
  const numbers = new Set<number>();
  const bigrams = new Set<string>();
  const numbersBeside = new Map<string, Set<number>>();
  let contentTokens = 0;
  docs.forEach((doc, d) => {
    for (const text of sentences(doc)) {
      const id = out.length;
      const tokens = tokenize(text);
      let negated = false;
      for (let i = 0; i + 1 < tokens.length; i++)
        bigrams.add(`${(tokens[i] as Token).stem} ${(tokens[i + 1] as Token).stem}`);
      forEachNumberNeighbour(tokens, (word, n) => {
        const set = numbersBeside.get(word);
        if (set === undefined) numbersBeside.set(word, new Set([n]));
        else set.add(n);
      });
      for (const t of tokens) {
        if (t.negation) negated = true;
        if (t.number !== undefined) numbers.add(t.number);
        if (!isContent(t)) continue;
        contentTokens++;
        const list = postings.get(t.stem);
        if (list === undefined) postings.set(t.stem, [id]);
        else if (list[list.length - 1] !== id) list.push(id);
      }
      out.push({ text, doc: d, negated });
    }
  });
  return { sentences: out, postings, numbers: [...numbers], numbersBeside, bigrams, contentTokens };
}

/** Calls `fn(word, number)` for each number and the content word right before and after it. */
export function forEachNumberNeighbour(
  tokens: readonly Token[],
  fn: (word: string, n: number) => void,
): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.number === undefined) continue;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (prev && prev.number === undefined && !prev.stop && prev.lower.length > 1) fn(prev.stem, t.number);
    if (next && next.number === undefined && !next.stop && next.lower.length > 1) fn(next.stem, t.number);
  }
}
