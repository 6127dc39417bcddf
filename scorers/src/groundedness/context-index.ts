/**
 * A context (the documents retrieved for one generation) indexed once, so every
 * claim of every answer scored against it is a few Map look-ups. Build it once
 * per trace with `indexContext` and pass it to `groundedness` or
 * `contextRelevance` as many times as needed.
 */
import {
  bigramKey,
  F_NEGATION,
  F_NUMBER,
  F_QUALIFIER,
  F_SHORT,
  F_STOP,
  type Scan,
  scanText,
  sentences,
  type Token,
  wordTableGeneration,
} from './text.ts';

export interface ContextSentence {
  text: string;
  doc: number;
  negated: boolean;
}

/** A set of small non-negative integers (`bigramKey`s). */
export interface ReadonlyKeySet {
  has(key: number): boolean;
  readonly size: number;
}

/**
 * Open addressing over one Int32Array, sized from the text up front: a context adds a bigram per
 * pair of adjacent words, and a `Set<number>` spent that time hashing, allocating and rehashing.
 */
class KeySet implements ReadonlyKeySet {
  private slots: Int32Array;
  size = 0;

  constructor(expected: number) {
    let capacity = 64;
    while (capacity < 2 * expected) capacity *= 2;
    this.slots = new Int32Array(capacity);
  }

  /** `key` must be in [0, 2^31 − 1): slots hold key + 1, 0 marking an empty one. */
  add(key: number): void {
    const stored = key + 1;
    const mask = this.slots.length - 1;
    let i = (key ^ (key >>> 15)) & mask;
    for (;;) {
      const at = this.slots[i] as number;
      if (at === stored) return;
      if (at === 0) break;
      i = (i + 1) & mask;
    }
    this.slots[i] = stored;
    if (++this.size * 2 > this.slots.length) this.grow();
  }

  has(key: number): boolean {
    const stored = key + 1;
    const mask = this.slots.length - 1;
    for (let i = (key ^ (key >>> 15)) & mask; ; i = (i + 1) & mask) {
      const at = this.slots[i] as number;
      if (at === stored) return true;
      if (at === 0) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const stored of old) {
      if (stored === 0) continue;
      const key = stored - 1;
      let i = (key ^ (key >>> 15)) & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = stored;
    }
  }
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
  readonly bigrams: ReadonlyKeySet;
  /** Content-token count, for the relevance scorers. */
  readonly contentTokens: number;
}

// Which stem ids already have a posting list in the index being built: `seen[id] === epoch`, the
// list then being `lists[listOf[id]]`. A word finds its list by its stem id, a typed-array read,
// instead of hashing its stem string into the postings map; the map is still filled, once per stem.
let epoch = 0;
let seen = new Int32Array(4096);
let listOf = new Int32Array(4096);

function nextEpoch(): number {
  if (epoch === 0x7fffffff) {
    seen.fill(0);
    epoch = 0;
  }
  return ++epoch;
}

function reserve(id: number): void {
  if (id < seen.length) return;
  const size = Math.max(id + 1, 2 * seen.length);
  const s = new Int32Array(size);
  s.set(seen);
  seen = s;
  const l = new Int32Array(size);
  l.set(listOf);
  listOf = l;
}

// Recently indexed contexts, by content: the trace stage scores every generation of a trace and
// an app often checks several answers against one retrieval, so the same documents come back.
// Small on purpose: a context seen once costs only its fingerprint, and every cached index
// (about 200 KB for 2,000 words) outlives the young generation, so a scavenge has to copy it:
// a few entries keep those pauses, which land in the guard's request path, short.
const CACHE_ENTRIES = 4;
const CACHE_CHARS = 1_000_000;
/** Longer contexts are indexed each time rather than evict everything else. */
const CACHE_MAX_CONTEXT = 200_000;
interface Cached {
  docs: readonly string[];
  index: ContextIndex;
  chars: number;
}
const cache = new Map<string, Cached>();
let cachedChars = 0;

/**
 * A cheap key: the documents' lengths and a hash of a few dozen characters spread over each.
 * Joining and hashing the whole context cost a twentieth of indexing it; equal fingerprints are
 * confirmed by comparing the documents themselves.
 */
function fingerprint(docs: readonly string[]): string {
  let h = 0x811c9dc5;
  let lengths = '';
  for (const d of docs) {
    lengths += `${d.length},`;
    const step = Math.max(1, Math.floor(d.length / 48));
    for (let i = 0; i < d.length; i += step) h = Math.imul(h ^ d.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0xff, 16777619);
  }
  return `${lengths}${h >>> 0}`;
}

function sameDocs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The index of `context`, built once per distinct content among the last few: equal documents
 * give the same (immutable) `ContextIndex`.
 */
export function indexContext(context: readonly string[] | string): ContextIndex {
  const docs = typeof context === 'string' ? [context] : context;
  let chars = 0;
  for (const d of docs) chars += d.length;
  if (chars > CACHE_MAX_CONTEXT) return buildIndex(docs, chars);
  const key = fingerprint(docs);
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cachedChars -= hit.chars;
    if (sameDocs(hit.docs, docs)) {
      // Most recently used last: the Map's insertion order is the eviction order.
      cache.set(key, hit);
      cachedChars += hit.chars;
      return hit.index;
    }
  }
  const index = buildIndex(docs, chars);
  // A copy of the list: the caller may reuse its array for other documents.
  cache.set(key, { docs: [...docs], index, chars });
  cachedChars += chars;
  for (const [k, v] of cache) {
    if (cache.size <= CACHE_ENTRIES && cachedChars <= CACHE_CHARS) break;
    cache.delete(k);
    cachedChars -= v.chars;
  }
  return index;
}

/** `chars`: the documents' total length. */
function buildIndex(docs: readonly string[], chars: number): ContextIndex {
  const out: ContextSentence[] = [];
  const postings = new Map<string, number[]>();
  const lists: number[][] = [];
  const numbers = new Set<number>();
  // About one bigram per six characters of English; the set grows if a text has more.
  const bigrams = new KeySet(chars / 6);
  const numbersBeside = new Map<string, Set<number>>();
  const addBeside = (word: string, n: number) => {
    const set = numbersBeside.get(word);
    if (set === undefined) numbersBeside.set(word, new Set([n]));
    else set.add(n);
  };
  // A new list starts as [id] (most stems occur in one sentence): `[]` and a push would give every
  // list a 17-slot backing store, a third more garbage per index.
  const listFor = (s: string, id: number): number[] => {
    let list = postings.get(s);
    if (list === undefined) {
      list = [id];
      postings.set(s, list);
    }
    return list;
  };
  // Whether the postings map may hold a stem not registered by stem id (a folded number's, or one
  // added while ids were renumbered): until then a new stem id is a new stem, set without a get.
  let unregistered = false;
  let generation = wordTableGeneration();
  let now = nextEpoch();
  let contentTokens = 0;
  for (let d = 0; d < docs.length; d++) {
    for (const text of sentences(docs[d] as string)) {
      const id = out.length;
      const words: Scan = scanText(text);
      // The word table started over during this scan (nothing else scans between two sentences):
      // stem ids were renumbered, so this sentence finds its lists by stem string and later ones
      // under a fresh epoch.
      const renumbered = words.generation !== generation;
      if (renumbered) {
        generation = words.generation;
        now = nextEpoch();
      }
      let negated = false;
      let prevWord = false;
      let prevKey = 0;
      for (let k = 0; k < words.count; k++) {
        const flags = words.flags(k);
        const key = words.key(k);
        const isNumber = (flags & F_NUMBER) !== 0;
        // Bigrams of word stems only: a name's parts are never stop words or numbers.
        const isWord = (flags & (F_STOP | F_NUMBER)) === 0;
        if (isWord && prevWord) bigrams.add(bigramKey(prevKey, key));
        prevWord = isWord;
        prevKey = key;
        if ((flags & F_NEGATION) !== 0) negated = true;
        let folded: string | undefined;
        if (isNumber) {
          const value = words.number(k);
          numbers.add(value);
          // A scale word folded in ("5 million") changes the value and so the stem.
          if (value !== words.word(k).number) folded = String(value);
          // The content words right before and after a number.
          if (k > 0 && (words.flags(k - 1) & (F_NUMBER | F_STOP | F_SHORT)) === 0)
            addBeside(words.word(k - 1).stem, value);
          if (k + 1 < words.count && (words.flags(k + 1) & (F_NUMBER | F_STOP | F_SHORT)) === 0)
            addBeside(words.word(k + 1).stem, value);
        } else if ((flags & (F_STOP | F_SHORT)) !== 0 && (flags & (F_NEGATION | F_QUALIFIER)) === 0) {
          continue; // as `isContent`
        }
        let list: number[];
        if (folded !== undefined || renumbered) {
          list = listFor(folded ?? words.word(k).stem, id);
          unregistered = true;
        } else {
          const sid = words.stemId(k);
          reserve(sid);
          if (seen[sid] === now) list = lists[listOf[sid] as number] as number[];
          else {
            const stem = words.word(k).stem;
            if (unregistered) list = listFor(stem, id);
            else {
              list = [id];
              postings.set(stem, list);
            }
            seen[sid] = now;
            listOf[sid] = lists.length;
            lists.push(list);
          }
        }
        contentTokens++;
        if (list[list.length - 1] !== id) list.push(id);
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
