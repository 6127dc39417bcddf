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
 * (`HashedEmbedder.withStudent()`): picked on the even-numbered half of
 * banking77's intents under mutual-best merging (tools/topics/experiment.ts,
 * `hashed+student.4`, grid assign 0.4–0.65 × merge 0.12–0.26), re-picked when
 * the student learnt current English words (tools/embed/extend-vocabulary.ts):
 * tune NMI 0.717 / ARI 0.414, held-out 0.753 / 0.485, all 0.700 / 0.332 at
 * 140 topics (before: 0.5 / 0.17, all 0.673 / 0.307 at 117). Its sure bar,
 * 3× the merge bar where the hashed geometry's is 2×, was picked on the tune
 * half under the collector's flush passes (flush-cadence.ts; mean NMI + ARI
 * over a flush every 1, 16 and 128 questions and none: 1.139 against 1.127
 * at 2×): the student's dense part puts two questions of different intents
 * at 2× the bar often enough that merging such pairs at once, in every
 * flush, cost up to 0.02 NMI. With it: all 0.697 / 0.337 at 136 topics, and
 * 0.692–0.699 under flush passes.
 */
export const STUDENT_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.55, merge: 0.18, sure: 0.54 };

/** Hashed features beside centred USE-lite vectors (UseEmbedder, share 0.5). */
export const USE_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.4, merge: 0.23 };

/**
 * For a space of unknown geometry (an app's own query embeddings, an
 * embeddings endpoint, an ONNX model), on the scale of the space's baseline b,
 * the mean cosine between two of its questions: t acts as b + (1 − b) t.
 * Picked on the even-numbered half of banking77's intents over three dense
 * geometries at once (USE-lite as it comes, the same with a shared offset
 * that lifts b to 0.63 as commercial embeddings do, and the distilled
 * student alone; tools/topics/calibration.ts). On all of banking77 as app
 * embeddings: USE-lite NMI 0.627 / ARI 0.210 (111 topics), with the offset
 * 0.605 / 0.196 (90), the student 0.554 / 0.177 (113); under the hashed
 * embedder's thresholds the first two made one topic of everything.
 */
export const CALIBRATED_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.5, merge: 0.35 };

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
