import { RecentMap } from '../recent-map.ts';

/** Entries kept unless told otherwise: ≈ 8 MiB of USE-lite vectors, 24 MiB at 1,536 components. */
export const DEFAULT_VECTOR_CACHE = 4096;

/**
 * The vectors of recently embedded texts, least recently used out first.
 * Chat apps hear the same questions again and again (suggested prompts,
 * retries, the FAQ everyone asks), and each repeat would cost the USE worker
 * ≈ 10 ms or an embeddings endpoint a paid call for a vector it has already
 * given. Only for embedders whose vector depends on the text alone: the USE
 * encoder's raw output, an endpoint's or a model's vectors, not the hashed
 * features, whose IDF moves with traffic. Bounded by entries, one vector
 * each (≈ 2 kB for USE-lite, 6 kB at 1,536 components).
 */
export class VectorCache {
  readonly capacity: number;
  private readonly entries: RecentMap<string, Float32Array>;
  /** Texts answered without embedding them (cached, or repeated within a call), and texts embedded. */
  hits = 0;
  misses = 0;

  constructor(capacity = DEFAULT_VECTOR_CACHE) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new Error(`vector cache: capacity must be an integer ≥ 0, got ${capacity}`);
    this.capacity = capacity;
    this.entries = new RecentMap(capacity);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The vectors of `texts` in order: cached ones at once, the others from one
   * call of `embed` with each distinct missing text once. Callers get copies,
   * so nothing they do to a vector reaches the cache. A failed `embed` stores
   * nothing and rejects as it did.
   */
  async through(
    texts: readonly string[],
    embed: (texts: readonly string[]) => Promise<Float32Array[]>,
  ): Promise<Float32Array[]> {
    const found = texts.map((t) => this.entries.use(t));
    const missing = [...new Set(texts.filter((_, i) => found[i] === undefined))];
    this.hits += texts.length - missing.length;
    this.misses += missing.length;
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const vectors = await embed(missing);
      if (vectors.length !== missing.length)
        throw new Error(`returned ${vectors.length} vectors for ${missing.length} texts`);
      missing.forEach((t, i) => {
        const v = vectors[i] as Float32Array;
        fresh.set(t, v);
        // A copy: the USE worker's vectors are views of one buffer per batch,
        // which an entry would otherwise keep alive whole.
        this.entries.set(t, Float32Array.from(v));
      });
    }
    return texts.map((t, i) => Float32Array.from(found[i] ?? (fresh.get(t) as Float32Array)));
  }
}
