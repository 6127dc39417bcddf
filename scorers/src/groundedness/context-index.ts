/**
 * A context (the documents retrieved for one generation) indexed once, so every
 * claim of every answer scored against it is a few Map look-ups. Build it once
 * per trace with `indexContext` and pass it to `groundedness` or
 * `contextRelevance` as many times as needed.
 */
import { bigramKey, type Scan, scanText, sentences, type Token } from './text.ts';

export interface ContextSentence {
  text: string;
  doc: number;
  negated: boolean;
}

export interface ContextIndex {
  readonly sentences: readonly ContextSentence[];
  /** Document number of each sentence (windows never cross documents). */
  readonly docOf: Int32Array;
  /** stem → ids of sentences holding it, ascending. */
  readonly postings: ReadonlyMap<string, readonly number[]>;
  readonly numbers: readonly number[];
  /** Content stem → numbers written next to it ("Tier 1", "3 percent"): a changed figure keeps its word. */
  readonly numbersBeside: ReadonlyMap<string, ReadonlySet<number>>;
  /** Adjacent pairs of word stems (neither a stop word nor a number), as `bigramKey`s: for multi-word names. */
  readonly bigrams: ReadonlySet<number>;
  /** Content-token count, for the relevance scorers. */
  readonly contentTokens: number;
}

export function indexContext(context: readonly string[] | string): ContextIndex {
  const docs = typeof context === 'string' ? [context] : context;
  const out: ContextSentence[] = [];
  const postings = new Map<string, number[]>();
  const numbers = new Set<number>();
  const bigrams = new Set<number>();
  const numbersBeside = new Map<string, Set<number>>();
  const addBeside = (word: string, n: number) => {
    const set = numbersBeside.get(word);
    if (set === undefined) numbersBeside.set(word, new Set([n]));
    else set.add(n);
  };
  let contentTokens = 0;
  for (let d = 0; d < docs.length; d++) {
    for (const text of sentences(docs[d] as string)) {
      const id = out.length;
      const words: Scan = scanText(text);
      let negated = false;
      let prevWord = false;
      let prevKey = 0;
      for (let k = 0; k < words.count; k++) {
        const w = words.word(k);
        const value = words.number(k);
        const isNumber = !Number.isNaN(value);
        // Bigrams of word stems only: a name's parts are never stop words or numbers.
        const isWord = !w.stop && !isNumber;
        if (isWord && prevWord) bigrams.add(bigramKey(prevKey, w.key));
        prevWord = isWord;
        prevKey = w.key;
        if (w.negation) negated = true;
        let s = w.stem;
        if (isNumber) {
          numbers.add(value);
          // A scale word folded in ("5 million") changes the value and so the stem.
          if (value !== w.number) s = String(value);
          // The content words right before and after a number.
          if (k > 0) {
            const p = words.word(k - 1);
            if (Number.isNaN(words.number(k - 1)) && !p.stop && p.lower.length > 1) addBeside(p.stem, value);
          }
          if (k + 1 < words.count) {
            const q = words.word(k + 1);
            if (Number.isNaN(words.number(k + 1)) && !q.stop && q.lower.length > 1) addBeside(q.stem, value);
          }
        } else if ((w.stop || w.lower.length <= 1) && !w.negation && !w.qualifier) continue; // as `isContent`
        contentTokens++;
        const list = postings.get(s);
        if (list === undefined) postings.set(s, [id]);
        else if (list[list.length - 1] !== id) list.push(id);
      }
      out.push({ text, doc: d, negated });
    }
  }
  const docOf = new Int32Array(out.length);
  for (let i = 0; i < out.length; i++) docOf[i] = (out[i] as ContextSentence).doc;
  return { sentences: out, docOf, postings, numbers: [...numbers], numbersBeside, bigrams, contentTokens };
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
