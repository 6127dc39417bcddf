/**
 * The built-in embedder: hashed word, word-bigram and character n-gram
 * features, weighted by inverse document frequency learned online from the
 * texts it has seen, folded into a signed fixed-width vector (the sign bit of
 * each hash keeps colliding features from piling up).
 *
 * Chosen over a neural sentence encoder because it costs microseconds per
 * question and needs no download; the character n-grams catch morphology
 * ("transfer"/"transferred"), the IDF table lets a project's own vocabulary
 * decide what is distinctive ("card" in a bank's traffic). The IDF state is a
 * fixed-size counter table (2^16 buckets), so memory does not grow with text.
 */
import type { SyncEmbedder } from './types.ts';

const DF_BITS = 16;
const DF_SIZE = 1 << DF_BITS;
const WORD_SEED = 0x2f6b1a3d;
const CHAR_SEED = 0x5bd1e995;
const BIGRAM_SEED = 0x68e31da4;

// Function words carry no topic; they still count a little so a question made
// only of them ("how do i do it") is not the zero vector.
const STOPWORDS = new Set(
  (
    'a an the i me my mine we our you your he she it its they them their this that these those is am are was were be been ' +
    'being do does did doing have has had having can could would should will shall may might must to of in on at by for ' +
    'with from as into about if or and but so than then there here what which who whom how why when where please just ' +
    'get got im ive id dont cant not no yes any some all also too very much many more most one been up out need want know ' +
    'like thank thanks hi hello tell way'
  ).split(' '),
);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function hashString(s: string, seed: number, from = 0, to = s.length): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** Light suffix stripping, so inflections share a word feature (character n-grams cover the rest). */
export function stem(w: string): string {
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** Lower-cased words with apostrophes dropped ("don't" → "dont"), split on anything not a letter or digit. */
export function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export function isStopword(w: string): boolean {
  return STOPWORDS.has(w);
}

export interface HashedEmbedderOptions {
  /** Output width (default 1024). */
  dimension?: number;
  /** Learn document frequencies from embedded texts (default true). */
  learn?: boolean;
}

interface Feature {
  hash: number;
  weight: number;
}

export class HashedEmbedder implements SyncEmbedder {
  readonly id: string;
  readonly dimension: number;
  private readonly learn: boolean;
  private readonly df = new Uint32Array(DF_SIZE);
  private docs = 0;
  private readonly seen = new Uint32Array(DF_SIZE);
  private stamp = 0;

  constructor(options: HashedEmbedderOptions = {}) {
    this.dimension = options.dimension ?? 1024;
    if (!Number.isInteger(this.dimension) || this.dimension < 16)
      throw new Error(`hashed embedder: dimension must be an integer ≥ 16, got ${options.dimension}`);
    this.learn = options.learn ?? true;
    this.id = `builtin:hashed-v1:${this.dimension}`;
  }

  /** Texts whose document frequencies are counted so far. */
  get documents(): number {
    return this.docs;
  }

  /** Counts a text's features towards the IDF table without embedding it. */
  observe(text: string): void {
    this.count(this.features(text));
  }

  /** Inverse document frequency of a feature hash; 1 when nothing has been seen. */
  private idf(hash: number): number {
    if (this.docs === 0) return 1;
    const df = this.df[(hash >>> 0) & (DF_SIZE - 1)] as number;
    return Math.log((1 + this.docs) / (1 + df)) + 1;
  }

  private count(features: Feature[]): void {
    // A text counts once per feature, however often the feature repeats in it.
    this.stamp = (this.stamp + 1) >>> 0 || 1;
    for (const f of features) {
      const b = (f.hash >>> 0) & (DF_SIZE - 1);
      if (this.seen[b] === this.stamp) continue;
      this.seen[b] = this.stamp;
      this.df[b] = (this.df[b] as number) + 1;
    }
    this.docs++;
  }

  private features(text: string): Feature[] {
    const out: Feature[] = [];
    const ws = words(text);
    let prev: string | undefined;
    for (const raw of ws) {
      const stop = STOPWORDS.has(raw);
      const w = stem(raw);
      out.push({ hash: hashString(w, WORD_SEED), weight: stop ? 0.1 : 1 });
      if (!stop) {
        const padded = ` ${raw} `;
        for (let n = 3; n <= 5; n++) {
          for (let i = 0; i + n <= padded.length; i++)
            out.push({ hash: hashString(padded, CHAR_SEED + n, i, i + n), weight: 0.25 });
        }
        if (prev !== undefined) out.push({ hash: hashString(`${prev} ${w}`, BIGRAM_SEED), weight: 0.5 });
        prev = w;
      }
    }
    return out;
  }

  /** `learn` overrides the constructor's choice for this text (false: embed against the table as it is). */
  embedOne(text: string, learn = this.learn): Float32Array {
    const features = this.features(text);
    if (learn) this.count(features);
    const v = new Float32Array(this.dimension);
    let sq = 0;
    for (const f of features) {
      const h = f.hash >>> 0;
      // Bits above the DF index choose the output slot, so two features sharing a
      // DF bucket can still land apart in the vector.
      const slot = Math.floor(h / DF_SIZE) % this.dimension;
      const w = f.weight * this.idf(f.hash) * (f.hash < 0 ? -1 : 1);
      v[slot] = (v[slot] as number) + w;
    }
    for (let i = 0; i < v.length; i++) sq += (v[i] as number) * (v[i] as number);
    if (sq > 0) {
      const inv = 1 / Math.sqrt(sq);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
    }
    return v;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }
}
