/**
 * What counts as one topic differs by geometry: hashed n-grams of two
 * paraphrases share few features, while dense sentence vectors of two
 * unrelated questions still have cosines of 0.2–0.4. The clusterer takes its
 * thresholds for a space from here: fixed ones when the embedder is one of
 * ours, calibrated ones for any other.
 */

/** What counts as the same topic in one vector space. */
export interface TopicThresholds {
  /** Cosine to a topic's centroid needed to join it. */
  assign: number;
  /** Average linkage (mean cosine between the questions of two topics) at which they merge. */
  merge: number;
  /**
   * Linkage at which a pair merges at once, even in a flush pass and whether
   * or not each is the other's closest (default twice `merge`).
   */
  sure?: number;
}

/**
 * The built-in hashed embedder's (the clusterer's defaults). Like the next,
 * picked on the even-numbered half of banking77's intents and checked on the
 * other half (tools/topics/experiment.ts).
 */
export const HASHED_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.4, merge: 0.12 };

/**
 * Hashed features beside the distilled sentence student
 * (`HashedEmbedder.withStudent()`), re-picked when the student was tuned on
 * centred cosines (tools/embed/tune-student.ts): on the even-numbered half of
 * banking77's intents, by mean NMI + ARI over the file's order and four
 * shuffled orders of that half, at most 2× its intents in each
 * (tools/embed/judge-student.ts; grid assign 0.45–0.7 × merge 0.12–0.22,
 * sure bar 3× the merge bar). Over several orders because one order's pick
 * moves between neighbouring cells from one student to the next. Tune 1.164,
 * held-out 0.764 / 0.517, all 0.689 / 0.319 at 118 topics, 0.695 / 0.324
 * over ten other orders (the student before, under the same protocol: tune
 * 1.117, held-out 0.761 / 0.508, all 0.690 / 0.313, orders 0.685 / 0.308).
 * The shipped soup of four tuning runs (tools/embed/soup-student.ts) picks
 * the same cell: tune 1.168, held-out 0.770 / 0.531, all 0.692 / 0.328 at
 * 113 topics, orders 0.696 / 0.324.
 * The sure bar, 3× the merge bar where the hashed geometry's is 2×, was
 * picked on the tune half under the collector's flush passes
 * (flush-cadence.ts; mean NMI + ARI over a flush every 1, 16 and 128
 * questions and none: 1.139 against 1.127 at 2×): the student's dense part
 * puts two questions of different intents at 2× the bar often enough that
 * merging such pairs at once, in every flush, cost up to 0.02 NMI.
 */
export const STUDENT_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.6, merge: 0.16, sure: 0.48 };

/** Hashed features beside centred USE-lite vectors (UseEmbedder, share 0.5). */
export const USE_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.4, merge: 0.23 };

/**
 * For a space of unknown geometry (an app's own query embeddings, an
 * embeddings endpoint, an ONNX model), on the scale of the space's baseline b,
 * the mean cosine between two of its questions: t acts as b + (1 − b) t.
 * Picked on the even-numbered half of banking77's intents over three dense
 * geometries at once (USE-lite as it comes, the same with a shared offset
 * that lifts b to 0.63 as commercial embeddings do, and the distilled
 * student alone; tools/topics/calibration.ts). Such a space is centred on
 * its mean too (clusterer.ts, `CENTRED`), so b sits near 0. On all of
 * banking77 as app embeddings: USE-lite NMI 0.644 / ARI 0.273 (96 topics),
 * with the offset 0.640 / 0.265 (102), the student 0.572 / 0.197 (99); under
 * the hashed embedder's thresholds the first two made one topic of
 * everything. Before centring (picked then: merge 0.35): 0.627 / 0.210 (111),
 * 0.605 / 0.196 (90), 0.554 / 0.177 (113). Re-picked with centring, merge
 * 0.35 put more than 2× the tune half's intents in topics (83 for 39).
 */
export const CALIBRATED_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.5, merge: 0.3 };

/** Prefix of every built-in embedder's id: the spaces whose geometry is known. */
const BUILTIN_EMBEDDER_PREFIX = 'builtin:';

/**
 * The fixed thresholds of a built-in geometry (`hashed` for the hashed
 * embedder and its word-table variants); undefined for any other embedder,
 * whose space is calibrated (CALIBRATED_TOPIC_THRESHOLDS).
 */
export function builtinTopicThresholds(
  embedderId: string,
  hashed: TopicThresholds = HASHED_TOPIC_THRESHOLDS,
): TopicThresholds | undefined {
  if (embedderId.startsWith('builtin:hashed-use-')) return USE_TOPIC_THRESHOLDS;
  if (embedderId.startsWith('builtin:hashed-student-')) return STUDENT_TOPIC_THRESHOLDS;
  return embedderId.startsWith(BUILTIN_EMBEDDER_PREFIX) ? hashed : undefined;
}

/**
 * Width of the hashed n-gram part that a built-in embedder's vectors start
 * with (`builtin:hashed-v1:<h>`, `builtin:hashed-student-v1:<h>+<k>:…`,
 * `builtin:hashed-use-v1:<h>+<k>:…`; any dense part follows it), or
 * undefined for any other embedder. A topic index keeps posting lists for
 * that part and columns for the rest.
 */
export function builtinHashedWidth(embedderId: string): number | undefined {
  const m = /^builtin:hashed-(?:[a-z]+-)?v1:(\d+)(?:\+\d+)?(?::|$)/.exec(embedderId);
  return m ? Number(m[1]) : undefined;
}
