/**
 * A topic space's state: its topics in a slot-ordered list (the centroid
 * index's columns follow the slots), the running sums a calibrated space's
 * baseline comes from, and the rows a topic leaves behind. The clusterer
 * (clusterer.ts) decides what joins and merges; this is what it changes.
 */
import { clickHouseTime } from '../../store/json-each-row.ts';
import { CentroidIndex } from './centroid-index.ts';
import type { Frame } from './frame.ts';
import type { ProjectTerms } from './labels.ts';
import { ProjectedIndex } from './projected-index.ts';
import { NO_GAPS, type TopicRow } from './types.ts';

export interface Topic {
  id: string;
  sum: Float32Array;
  sqNorm: number;
  size: number;
  firstSeen: Date;
  lastSeen: Date;
  representative: string;
  repSim: number;
  terms: Map<string, number>;
  dirty: boolean;
  /** When its row was last snapshotted (ms; −Infinity: not since it was founded or restored). */
  writtenAt: number;
  /** Space assignment counter when the topic was founded (restored: when it came back). */
  bornSeq: number;
  /** Space assignment counter when the topic last grew. */
  lastSeq: number;
  /** Position in `Space.topics` (and slot in the centroid index). */
  slot: number;
}

/**
 * A space's thresholds as cosines, now. `base` is 0 for a space whose
 * thresholds are fixed (they then act as they are), else the calibration's
 * baseline cosine.
 */
export interface Bars {
  assign: number;
  merge: number;
  absorb: number;
  /** A pair at or above this merges at once (`mergeSpace`). */
  sure: number;
  base: number;
}

export interface Space {
  projectId: string;
  embedderId: string;
  dimension: number;
  assign: number;
  merge: number;
  /** The geometry's own sure bar, when it names one (`TopicThresholds.sure`). */
  sure?: number;
  topics: Topic[];
  byId: Map<string, Topic>;
  /** How many of the space's questions said each label term: a label's idf, and its phrases. */
  vocabulary: ProjectTerms;
  /** Whether `vocabulary` came back from `topic_vocabulary`: a restore then leaves it as it is. */
  vocabularyKept: boolean;
  /**
   * While a restore reads a space whose vocabulary was kept: its topics'
   * counts summed, in case the kept one turns out stale (`STALE_STATE`).
   */
  fromTopics?: ProjectTerms;
  questions: number;
  sinceMerge: number;
  /** Assignment counter at the last flush pass: topics born after it are this flush's. */
  flushSeq: number;
  /**
   * Candidates a pass has judged already (the first ones in the set's order):
   * a flush pass scores only the pairs named since, so its cost follows the
   * batch, not the pairs waiting for the scheduled pass.
   */
  judged: number;
  seq: number;
  candidates: Set<string>;
  /**
   * Set by a restore: the pairs waiting for a merge pass are not stored, so
   * the scheduled passes that follow name each recently seen topic's nearest
   * again (`nameNearest`) before they judge. `true` until the first such
   * pass lists the topics, then those still to name.
   */
  unnamed: Topic[] | boolean;
  /**
   * Calibrated spaces (unknown geometry): the sum of every question's unit
   * vector (`questions` of them), whose squared norm gives the mean cosine
   * between two questions exactly (see `baseline`). Restored topics' sums add
   * up to it, so a restart recovers it without storing it.
   */
  calibration: { total: Float64Array; totalSq: number } | undefined;
  /** A centred space's frame (`Frame`): its questions and topic sums are centred on it. */
  frame: Frame | undefined;
  /**
   * The centroids laid out for search, built once a space is large and kept
   * in step from then on: an inverted index when the space's questions are
   * sparse (centroid-index.ts), else their projections on the space's
   * principal directions (projected-index.ts). Both are exact.
   */
  index: CentroidIndex | ProjectedIndex | undefined;
}

/**
 * Questions a calibrated space sees before its baseline is trusted: until
 * then a question joins a topic only at WARMUP_ASSIGN, near-duplicates in any
 * geometry (over-splitting is undone by merging; a wrong join is not), and
 * merging uses the baseline of the time.
 */
export const CALIBRATION_MIN = 16;
export const WARMUP_ASSIGN = 0.98;

/**
 * The mean cosine between two different questions of a calibrated space:
 * ‖Σ q‖² counts each unit question with itself once. Clamped to [0, 0.95]:
 * below 0 the space is spread wider than random, and a baseline near 1 would
 * squeeze every threshold into nothing.
 */
export function baseline(s: Space): number {
  const n = s.questions;
  if (!s.calibration || n < 2) return 0;
  const b = (s.calibration.totalSq - n) / (n * (n - 1));
  return Math.min(0.95, Math.max(0, b));
}

/** A threshold on the calibrated scale, as a cosine of the space. */
export const onBase = (base: number, t: number) => base + (1 - base) * t;

/**
 * A size-0 row: the topic left (merged into `mergedInto`, or evicted), so
 * `topics FINAL` keeps it out and a restart does not bring it back.
 */
export function tombstone(s: Space, id: string, at: Date, mergedInto = '0'): TopicRow {
  return {
    project_id: s.projectId,
    topic_id: id,
    label: '',
    top_terms: [],
    size: 0,
    first_seen: clickHouseTime(at),
    last_seen: clickHouseTime(at),
    representative: '',
    embedder: s.embedderId,
    // Nothing is rebuilt from a tombstone; a merge pass can bury dozens.
    centroid: [],
    ...NO_GAPS,
    term_counts: {},
    merged_into: mergedInto,
  };
}

/** Adds questions' unit vectors (`v`, their sum) to a calibrated space's total; `questions` counts them. */
export function calibrate(c: NonNullable<Space['calibration']>, v: Float32Array): void {
  const total = c.total;
  let sq = 0;
  for (let i = 0; i < total.length; i++) {
    const x = (total[i] as number) + (v[i] as number);
    total[i] = x;
    sq += x * x;
  }
  c.totalSq = sq;
}

export function pushTopic(s: Space, t: Topic): void {
  t.slot = s.topics.length;
  s.topics.push(t);
}

/** Swap-remove: the last topic takes the freed slot, in the list and in the index. */
export function removeTopic(s: Space, t: Topic): void {
  const last = s.topics.pop() as Topic;
  s.index?.clear(t.slot);
  if (last !== t) {
    s.topics[t.slot] = last;
    s.index?.move(last.slot, t.slot, last.sum, last.sqNorm);
    last.slot = t.slot;
  }
  t.slot = -1;
}

/**
 * The space's inverted index, built on first need. `denseFrom` says where
 * the space's dense block starts (the student's components).
 */
export function invertedIndex(s: Space, denseFrom: number): CentroidIndex {
  if (s.index instanceof CentroidIndex) return s.index;
  s.index = new CentroidIndex(s.dimension, s.topics.length, denseFrom);
  for (const t of s.topics) writeColumn(s, t);
  return s.index;
}

/** The space's projected index (dense questions), built on first need. */
export function projectedIndex(s: Space): ProjectedIndex {
  if (s.index instanceof ProjectedIndex) return s.index;
  s.index = new ProjectedIndex(s.dimension, (slot) => s.topics[slot]?.sum, s.topics.length);
  for (const t of s.topics) writeColumn(s, t);
  return s.index;
}

/** Writes a topic's slot in the index; `added`: the question its sum just grew by. */
export function writeColumn(s: Space, t: Topic, added?: Float32Array): void {
  if (s.index && t.slot >= 0) s.index.write(t.slot, t.sum, t.sqNorm, added);
}
