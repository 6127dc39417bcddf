/**
 * What counts as one topic differs by geometry: hashed n-grams of two
 * paraphrases share few features, while dense sentence vectors of two
 * unrelated questions still have cosines of 0.2–0.3. The clusterer takes its
 * thresholds for a space from here when the embedder is one of ours.
 */

/** What counts as the same topic in one vector space. */
export interface TopicThresholds {
  /** Cosine to a topic's centroid needed to join it. */
  assign: number;
  /** Average linkage (mean cosine between the questions of two topics) at which they merge. */
  merge: number;
}

/**
 * The built-in hashed embedder's (the clusterer's defaults). Like the next,
 * picked on the even-numbered half of banking77's intents and checked on the
 * other half (tools/topics/experiment.ts).
 */
export const HASHED_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.4, merge: 0.12 };

/** Hashed features beside centred USE-lite vectors (UseEmbedder, share 0.5). */
export const USE_TOPIC_THRESHOLDS: TopicThresholds = { assign: 0.4, merge: 0.23 };

/** The thresholds of a built-in geometry other than the default hashed one; undefined for the rest. */
export function builtinTopicThresholds(embedderId: string): TopicThresholds | undefined {
  return embedderId.startsWith('builtin:hashed-use-') ? USE_TOPIC_THRESHOLDS : undefined;
}
