/**
 * Knowledge-base gap signals of one question, and their roll-up per topic.
 *
 * `gapSignals` is pure: the drain hands it whatever the trace carried
 * (retrieval documents and their top score, context relevance, refusal,
 * groundedness, feedback) and gets back the `kb_gap` flag, the `gap_signals`
 * names of the schema contract, and a score in [0, 1] for ranking. Signals it
 * was not given do not count either way; with none at all the flag is null
 * (the column stays NULL and `kb_gaps` skips the row).
 */

import { wilson } from '../wilson.ts';
import { RecentQuestions } from './recent-questions.ts';
import { NO_GAPS, type TopicGapColumns } from './types.ts';

export const GAP_SIGNALS = [
  'no_documents',
  'low_retrieval_score',
  'low_context_relevance',
  'refusal',
  'low_groundedness',
  'negative_feedback',
] as const;
export type GapSignal = (typeof GAP_SIGNALS)[number];

export interface GapInput {
  /** Documents retrieval returned for the question; undefined when the trace had no retrieval. */
  documents?: number | null;
  /** Best retrieval score of those documents (any scale: the calibrator learns the project's). */
  topScore?: number | null;
  /** Context relevance in [0, 1]. */
  contextRelevance?: number | null;
  /** The answer was a refusal or "I don't know". */
  refusal?: boolean | null;
  /** Groundedness of the answer in [0, 1]. */
  groundedness?: number | null;
  /** The user gave negative feedback on the answer. */
  negativeFeedback?: boolean | null;
}

export interface GapThresholds {
  /** Top retrieval score below which retrieval counts as weak; from `RetrievalCalibrator.threshold()`. */
  retrievalScore?: number | null;
  /** Where the top score sits in the project's distribution, 0 = lowest (from the calibrator); sharpens the score. */
  retrievalPercentile?: number | null;
  /** Where the context relevance sits in the project's distribution, 0 = lowest (`RelevanceCalibrator`). */
  contextRelevancePercentile?: number | null;
  contextRelevance?: number;
  groundedness?: number;
}

export const DEFAULT_GAP_THRESHOLDS = { contextRelevance: 0.3, groundedness: 0.5 } as const;

export interface GapResult {
  kbGap: boolean | null;
  signals: GapSignal[];
  /** Noisy-OR of the signals' strengths, in [0, 1]; null with no evidence. */
  score: number | null;
}

// How much each signal alone says "the knowledge base lacks this": an empty
// retrieval is nearly conclusive, an unhappy user much less so.
const WEIGHT: Record<GapSignal, number> = {
  no_documents: 0.95,
  low_retrieval_score: 0.8,
  low_context_relevance: 0.7,
  refusal: 0.8,
  low_groundedness: 0.5,
  negative_feedback: 0.4,
};

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export function gapSignals(input: GapInput, thresholds: GapThresholds = {}): GapResult {
  const t = { ...DEFAULT_GAP_THRESHOLDS, ...thresholds };
  const signals: GapSignal[] = [];
  let evidence = false;
  let keep = 1;
  const add = (signal: GapSignal, strength: number, fired: boolean) => {
    evidence = true;
    keep *= 1 - WEIGHT[signal] * clamp01(strength);
    if (fired) signals.push(signal);
  };

  const relevance =
    input.contextRelevance != null && Number.isFinite(input.contextRelevance)
      ? clamp01(input.contextRelevance)
      : null;
  // Both calibrated, the retrieval score and the context relevance are one
  // piece of evidence read two ways (how near the documents came, and whether
  // they say the question's words), so their percentiles are averaged into
  // one term instead of counting twice in the noisy-OR: where one of them
  // cannot tell (a knowledge base whose gaps share its vocabulary, documents
  // shorter than the questions) it dilutes the other without drowning it.
  const scored =
    input.documents != null &&
    input.documents > 0 &&
    input.topScore != null &&
    Number.isFinite(input.topScore);
  const joined =
    scored && t.retrievalPercentile != null && t.contextRelevancePercentile != null && relevance !== null;
  if (input.documents != null) {
    if (input.documents <= 0) add('no_documents', 1, true);
    else if (scored) {
      const fired = t.retrievalScore != null && (input.topScore as number) < t.retrievalScore;
      // The percentile is the graded evidence; without a calibrated project, only the flag counts.
      const percentile =
        t.retrievalPercentile == null
          ? null
          : joined
            ? (clamp01(t.retrievalPercentile) + clamp01(t.contextRelevancePercentile as number)) / 2
            : t.retrievalPercentile;
      add('low_retrieval_score', percentile != null ? 1 - clamp01(percentile) : fired ? 1 : 0, fired);
    } else evidence = true;
  }
  if (relevance !== null) {
    // Low for this app's documents, once the project has a distribution of
    // relevances; an absolute reading until then.
    const strength =
      t.contextRelevancePercentile != null ? 1 - clamp01(t.contextRelevancePercentile) : 1 - relevance;
    add('low_context_relevance', joined ? 0 : strength, relevance < t.contextRelevance);
  }
  if (input.refusal != null) add('refusal', input.refusal ? 1 : 0, input.refusal);
  if (input.groundedness != null && Number.isFinite(input.groundedness)) {
    const g = clamp01(input.groundedness);
    add('low_groundedness', 1 - g, g < t.groundedness);
  }
  if (input.negativeFeedback != null)
    add('negative_feedback', input.negativeFeedback ? 1 : 0, input.negativeFeedback);

  if (!evidence) return { kbGap: null, signals: [], score: null };
  return { kbGap: signals.length > 0, signals, score: 1 - keep };
}

/**
 * A project's own distribution of top retrieval scores, so "low" means low for
 * this app's retriever and scale (cosine, BM25, a reranker's logit). A
 * reservoir of recent scores bounds memory; the threshold sits `spread` robust
 * standard deviations (MAD) under the median, and nothing is flagged before
 * `minSamples` scores have been seen.
 */
export class RetrievalCalibrator {
  private readonly sample: number[] = [];
  // The same scores in order, kept so as they come: every question reads a
  // percentile and the threshold, and re-sorting the reservoir for each one
  // cost half a millisecond a question.
  private readonly sorted: number[] = [];
  private seen = 0;

  private readonly capacity: number;
  private readonly minSamples: number;
  private readonly spread: number;

  constructor(options: { capacity?: number; minSamples?: number; spread?: number } = {}) {
    this.capacity = options.capacity ?? 2048;
    this.minSamples = options.minSamples ?? 50;
    this.spread = options.spread ?? 1.5;
  }

  add(score: number): void {
    if (!Number.isFinite(score)) return;
    this.seen++;
    if (this.sample.length < this.capacity) this.sample.push(score);
    else {
      // Deterministic stride replacement keeps the reservoir recent without a random source.
      const at = this.seen % this.capacity;
      this.sorted.splice(this.below(this.sample[at] as number), 1);
      this.sample[at] = score;
    }
    this.sorted.splice(this.below(score), 0, score);
  }

  /** How many recent scores are below `score`. */
  private below(score: number): number {
    const s = this.sorted;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as number) < score) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Share of recent scores below `score` (0 = worst seen), or null before enough were seen. */
  percentile(score: number): number | null {
    const n = this.sorted.length;
    return n < this.minSamples ? null : this.below(score) / n;
  }

  threshold(): number | null {
    const s = this.sorted;
    const n = s.length;
    if (n < this.minSamples) return null;
    const m = n >> 1;
    const median = s[m] as number;
    // The median absolute deviation without sorting the deviations: those of
    // the scores below the median grow leftwards from it, those above
    // rightwards, so merging the two runs reaches the middle one in n/2 steps.
    let lo = m - 1;
    let hi = m;
    let dev = 0;
    for (let k = 0; k <= m; k++) {
      const left = lo >= 0 ? median - (s[lo] as number) : Number.POSITIVE_INFINITY;
      const right = hi < n ? (s[hi] as number) - median : Number.POSITIVE_INFINITY;
      if (left <= right) {
        dev = left;
        lo--;
      } else {
        dev = right;
        hi++;
      }
    }
    return median - this.spread * dev * 1.4826;
  }

  thresholds(score: number): GapThresholds {
    return { retrievalScore: this.threshold(), retrievalPercentile: this.percentile(score) };
  }

  /** Scores seen so far (the reservoir holds the recent `capacity` of them). */
  get count(): number {
    return this.seen;
  }

  /** The reservoir as `load` takes it back (`gap_state`, so a restart does not start cold). */
  state(): ReservoirState {
    return { sample: [...this.sample], seen: this.seen };
  }

  /** Takes a stored reservoir in place of what this one holds. */
  load(state: ReservoirState): void {
    const sample = state.sample.filter(Number.isFinite).slice(-this.capacity);
    this.sample.splice(0, this.sample.length, ...sample);
    this.sorted.splice(0, this.sorted.length, ...[...sample].sort((a, b) => a - b));
    this.seen = Math.max(state.seen, sample.length);
  }
}

/** A reservoir of scores as `gap_state` stores it (migration 021). */
export interface ReservoirState {
  sample: number[];
  seen: number;
}

/**
 * Weight of the peers' nearness against the top score's percentile in
 * `GapCalibrator`: the even prior, not a fitted value (docs/topics.md, "The
 * gap score", has the figures for 0.25–0.75).
 */
export const PEER_WEIGHT = 0.5;

type CalibratorOptions = ConstructorParameters<typeof RetrievalCalibrator>[0];

/**
 * A project's retrieval evidence, read two ways; the weaker reading counts.
 *
 * - Against how near its earlier questions come to each new one. A top score
 *   is low or high partly because of the question: a generic, wordy one sits
 *   near many documents and many questions alike, a terse one near few of
 *   either. Retrieval weak for a question the traffic knows well says "the
 *   knowledge base lacks this subject": its top score's percentile minus
 *   PEER_WEIGHT × its nearness percentile (`PeerNearness`), itself placed in
 *   the project's distribution.
 * - As it is: the top score's percentile alone. A question outside
 *   everything the app covers (a banking assistant asked how tall a mountain
 *   is) is near neither documents nor earlier questions, and the first
 *   reading excuses it for exactly that. With the first reading alone, such
 *   questions mixed into banking77 ranked at AUROC 0.85 against 0.97 with
 *   this one alone; taking the weaker of the two gives 0.94, and keeps most
 *   of what the first adds on banking77's missing subjects (0.838 against
 *   0.847 and 0.809).
 *
 * Both are percentiles, so the app's retrieval scale (cosine, BM25, a
 * reranker's logit) never meets the topic space's cosine. Without a nearness
 * the second reading stands alone, as does the flag's threshold
 * (`retrievalScore`) always.
 */
export class GapCalibrator {
  private readonly top: RetrievalCalibrator;
  private readonly relative: RetrievalCalibrator;
  private readonly peerWeight: number;

  /** `peerWeight`: PEER_WEIGHT unless an experiment sweeps it (tools/topics/peer-nearness.ts). */
  constructor(options: CalibratorOptions & { peerWeight?: number } = {}) {
    const { peerWeight = PEER_WEIGHT, ...reservoir } = options;
    this.top = new RetrievalCalibrator(reservoir);
    this.relative = new RetrievalCalibrator(reservoir);
    this.peerWeight = peerWeight;
  }

  /** The two reservoirs: the top scores, and the readings against the peers. */
  get reservoirs(): { top: RetrievalCalibrator; relative: RetrievalCalibrator } {
    return { top: this.top, relative: this.relative };
  }

  /**
   * The thresholds to judge `topScore` by, given the question's nearness
   * percentile (null when unknown); with `learn`, both then join the
   * distributions (a question scored again must not count twice).
   */
  judge(topScore: number, peers: number | null, learn = true): GapThresholds {
    const own = this.top.thresholds(topScore);
    const relative =
      peers != null && own.retrievalPercentile != null
        ? own.retrievalPercentile - this.peerWeight * peers
        : undefined;
    const percentile = relative === undefined ? null : this.relative.percentile(relative);
    if (learn) {
      this.top.add(topScore);
      if (relative !== undefined) this.relative.add(relative);
    }
    return percentile == null || own.retrievalPercentile == null
      ? own
      : { ...own, retrievalPercentile: Math.min(own.retrievalPercentile, percentile) };
  }
}

/** Percentiles of values in per-key distributions (a reservoir each), learnt as the values arrive. */
class KeyedPercentiles {
  private readonly byKey = new Map<string, RetrievalCalibrator>();
  private readonly options: CalibratorOptions;

  constructor(options: CalibratorOptions = {}) {
    this.options = options;
  }

  /** Each key's reservoir. */
  entries(): IterableIterator<[string, RetrievalCalibrator]> {
    return this.byKey.entries();
  }

  /** The reservoir under `key`, made if new: a restart loads stored ones into it. */
  reservoir(key: string): RetrievalCalibrator {
    let c = this.byKey.get(key);
    if (!c) {
      c = new RetrievalCalibrator(this.options);
      this.byKey.set(key, c);
    }
    return c;
  }

  /** The percentile of `value` under `key` (null before its distribution exists); with `learn`, it then joins it. */
  protected place(key: string, value: number, learn: boolean): number | null {
    const c = this.reservoir(key);
    const p = c.percentile(value);
    if (learn) c.add(value);
    return p;
  }
}

/**
 * How near each question's nearest topic was when it arrived
 * (`Assignment.nearest`), as a percentile of its project's questions in the
 * same topic space: each embedder's cosines have their own scale.
 */
export class PeerNearness extends KeyedPercentiles {
  private readonly asked = new RecentQuestions<number>(REPEATS_REMEMBERED);

  /**
   * The percentile of `nearest` (null before the space has a distribution);
   * with `learn`, it then joins it. Given the `question` as topics read it,
   * a repeat of a recent question is read as that question was: its own
   * earlier copy sits in the topic it is compared with, which makes every
   * retry look like the most familiar question the project has. A
   * follow-up, read after the question it follows (`followed`, as that
   * reads alone), is near that question for the same reason, and is read
   * as it was too, while it is remembered.
   */
  percentile(
    projectId: string,
    space: string,
    nearest: number,
    learn = true,
    question?: string,
    followed?: string,
  ): number | null {
    const key = `${projectId}\u0000${space}`;
    const before = followed === undefined ? undefined : this.asked.use(projectId, followed, space);
    if (before !== undefined) return this.place(key, before, false);
    if (question === undefined) return this.place(key, nearest, learn);
    const first = this.asked.use(projectId, question, space);
    if (first !== undefined) return this.place(key, first, false);
    if (learn) this.asked.set(projectId, question, nearest, space);
    return this.place(key, nearest, learn);
  }
}

/** Recent questions, over all projects, whose first nearness their repeats are read by (≈ 1 MiB). */
const REPEATS_REMEMBERED = 8_192;

/**
 * Copies of one question, asked word for word, that a project's
 * distributions of retrieval scores and context relevances learn from while
 * the question is remembered. A popular question still counts for more than
 * a rare one, but a question asked over and over (a monitor's probe once a
 * minute, a suggested-question button) filled the reservoir with one score:
 * its median became that score and the deviation 0, so every question
 * retrieved below it was flagged, and read as the weakest the project had
 * (a probe once a minute beside 200 questions a day: 75 % of them flagged).
 */
export const REPEAT_LEARNS = 4;

/** How often each recent question was asked, by its project and the text topics read of it (`REPEAT_LEARNS`). */
export class AskedCounts {
  private readonly counts = new RecentQuestions<number>(REPEATS_REMEMBERED);

  /** Counts one more asking of `question`; whether the project's distributions learn from this one. */
  learns(projectId: string, question: string): boolean {
    const n = (this.counts.use(projectId, question) ?? 0) + 1;
    this.counts.set(projectId, question, n);
    return n <= REPEAT_LEARNS;
  }
}

/**
 * Each project's context relevances (`contextRelevancePercentile`): how much
 * of a question's words its documents say depends on the app's documents
 * (one-line FAQ entries against long pages) as much as on the question, so
 * "low" is low for this app, as the retrieval score's is.
 */
export class RelevanceCalibrator extends KeyedPercentiles {
  /** The percentile of `relevance` (null before the project has a distribution); with `learn`, it then joins it. */
  percentile(projectId: string, relevance: number, learn = true): number | null {
    return this.place(projectId, relevance, learn);
  }
}

/** Per-topic roll-up of gap results: what `kb_gaps` computes in SQL, kept live for ranking at flush. */
export interface TopicGapStats {
  questions: number;
  gaps: number;
  gapRate: number;
  /** 95 % Wilson lower bound of the gap rate (the view's `gap_score`), so one unlucky question does not top the list. */
  gapScore: number;
  /** Gap rate over the recent window minus the window before it (positive: getting worse). */
  trend: number;
  /** Mean gap score of the topic's questions, shrunk towards the project's mean for small topics. */
  meanScore: number;
  samples: string[];
}

/**
 * A question's own graded gap score: the signals' noisy-OR once the project's
 * retrieval scores have a distribution to place its top score in. Before
 * that, a question no signal flagged would score 0 whatever it retrieved, so
 * a top score that reads as a similarity in [0, 1] stands in through its
 * complement (a project's first questions are often the ones its knowledge
 * base was not built for).
 */
export function ownGapScore(
  result: GapResult,
  topScore: number | null | undefined,
  thresholds: GapThresholds,
): number | null {
  if (result.score === null) return null;
  const early = thresholds.retrievalPercentile == null && result.signals.length === 0;
  if (early && topScore != null && topScore >= 0 && topScore <= 1) return 1 - topScore;
  return result.score;
}

/**
 * Pseudo-questions at the project's mean score a topic's mean is shrunk with
 * (the gaps dashboard shrinks its ranking with the same number).
 */
export const GAP_SCORE_SHRINK = 5;

/**
 * A question's gap score informed by its topic: the even blend of its own
 * score and its topic's shrunk mean (`TopicGapStats.meanScore`, which counts
 * the question itself). A knowledge base lacks subjects, not sentences: one
 * question about a missing subject can still retrieve a lexically close
 * document, while its neighbours' scores pool the evidence. Even weights are
 * the prior, not a fitted value. Measured on the kb-gaps protocol with the
 * figures in docs/topics.md ("Measured on banking77").
 */
export function topicInformedScore(own: number, topicMean: number | undefined): number {
  if (topicMean === undefined || !Number.isFinite(topicMean)) return own;
  return 0.5 * own + 0.5 * topicMean;
}

/** Gap statistics of each topic, bounded: counters, two trend windows and five samples per topic. */
export class GapTracker {
  private readonly topics = new Map<
    string,
    {
      questions: number;
      gaps: number;
      scoreSum: number;
      recent: [number, number];
      before: [number, number];
      samples: string[];
    }
  >();
  private windowStart = 0;
  private readonly projectScore = new Map<string, [number, number]>();

  private readonly windowMs: number;
  private readonly maxSamples: number;

  constructor(options: { windowMs?: number; maxSamples?: number } = {}) {
    this.windowMs = options.windowMs ?? 24 * 3600 * 1000;
    this.maxSamples = options.maxSamples ?? 5;
  }

  record(projectId: string, topicId: string, question: string, result: GapResult, at = Date.now()): void {
    if (result.kbGap === null) return;
    if (this.windowStart === 0) this.windowStart = at;
    if (at - this.windowStart >= this.windowMs) {
      // Roll the windows for every topic at once; an idle gap of two windows empties both.
      const shifts = Math.floor((at - this.windowStart) / this.windowMs);
      for (const t of this.topics.values()) {
        t.before = shifts === 1 ? t.recent : [0, 0];
        t.recent = [0, 0];
      }
      this.windowStart += shifts * this.windowMs;
    }
    const key = `${projectId}\u0000${topicId}`;
    let t = this.topics.get(key);
    if (!t) {
      t = { questions: 0, gaps: 0, scoreSum: 0, recent: [0, 0], before: [0, 0], samples: [] };
      this.topics.set(key, t);
    }
    t.questions++;
    t.scoreSum += result.score ?? 0;
    const p = this.projectScore.get(projectId) ?? [0, 0];
    p[0] += result.score ?? 0;
    p[1]++;
    this.projectScore.set(projectId, p);
    t.recent[0]++;
    if (result.kbGap) {
      t.gaps++;
      t.recent[1]++;
      if (t.samples.length < this.maxSamples) t.samples.push(question);
    }
  }

  /**
   * A restored topic's counts, from its `topics` row (`TopicClusterer.restore`),
   * so its mean score and its gaps carry on after a restart instead of
   * starting from the question that follows. The trend windows and samples
   * start empty. A row from before the graded counts (schema 021) has gaps
   * and no graded questions: its gaps still count, its mean is the project's.
   */
  seed(projectId: string, topicId: string, columns: TopicGapColumns): void {
    const key = `${projectId}\u0000${topicId}`;
    if (this.topics.has(key) || (columns.graded <= 0 && columns.gap_count <= 0)) return;
    this.topics.set(key, {
      questions: columns.graded,
      gaps: columns.gap_count,
      scoreSum: columns.gap_score_sum,
      recent: [0, 0],
      before: [0, 0],
      samples: [],
    });
    const p = this.projectScore.get(projectId) ?? [0, 0];
    p[0] += columns.gap_score_sum;
    p[1] += columns.graded;
    this.projectScore.set(projectId, p);
  }

  /**
   * A question scored again (a re-scored trace) whose verdict changed:
   * `delta` 1 counts it a gap now, −1 takes its gap back. Its graded score
   * stays the first one, as the score stored for it does.
   */
  regrade(projectId: string, topicId: string, delta: 1 | -1): void {
    const t = this.topics.get(`${projectId}\u0000${topicId}`);
    if (t) t.gaps = Math.max(0, t.gaps + delta);
  }

  /** The topic's counts as its `topics` row carries them. */
  columns(projectId: string, topicId: string): TopicGapColumns {
    const t = this.topics.get(`${projectId}\u0000${topicId}`);
    return t ? { gap_count: t.gaps, graded: t.questions, gap_score_sum: t.scoreSum } : NO_GAPS;
  }

  stats(projectId: string, topicId: string): TopicGapStats | undefined {
    const t = this.topics.get(`${projectId}\u0000${topicId}`);
    if (!t) return undefined;
    const rate = (p: [number, number]) => (p[0] > 0 ? p[1] / p[0] : 0);
    // A restored row from before the graded counts can hold more gaps than graded questions.
    const gaps = Math.min(t.gaps, t.questions);
    return {
      questions: t.questions,
      gaps: t.gaps,
      gapRate: t.questions > 0 ? gaps / t.questions : 0,
      gapScore: wilson(gaps, t.questions).low,
      trend: t.before[0] > 0 ? rate(t.recent) - rate(t.before) : 0,
      meanScore: this.shrunkMean(projectId, t),
      samples: [...t.samples],
    };
  }

  /**
   * The topic's `meanScore` alone: what each question's graded score blends
   * in (`topicInformedScore`), read per generation, so without the rest of
   * `stats()` and its copy of the samples.
   */
  meanScore(projectId: string, topicId: string): number | undefined {
    const t = this.topics.get(`${projectId}\u0000${topicId}`);
    return t ? this.shrunkMean(projectId, t) : undefined;
  }

  private shrunkMean(projectId: string, t: { questions: number; scoreSum: number }): number {
    const ps = this.projectScore.get(projectId) ?? [0, 0];
    const prior = ps[1] > 0 ? ps[0] / ps[1] : 0;
    return (t.scoreSum + GAP_SCORE_SHRINK * prior) / (t.questions + GAP_SCORE_SHRINK);
  }

  /**
   * A project's topics, most lacking first: by the Wilson bound of the flag rate
   * (`gapScore`, what the view ranks by), or by the shrunk mean of the graded
   * scores (`meanScore`), which still ranks when few questions cross a threshold.
   */
  ranked(
    projectId: string,
    by: 'gapScore' | 'meanScore' = 'gapScore',
  ): ({ topicId: string } & TopicGapStats)[] {
    const out: ({ topicId: string } & TopicGapStats)[] = [];
    const prefix = `${projectId}\u0000`;
    for (const key of this.topics.keys()) {
      if (!key.startsWith(prefix)) continue;
      const topicId = key.slice(prefix.length);
      out.push({ topicId, ...(this.stats(projectId, topicId) as TopicGapStats) });
    }
    return out.sort((a, b) => b[by] - a[by] || b.questions - a.questions);
  }

  /** Drops an evicted topic's counters: the tracker holds state per live topic only. */
  forget(projectId: string, topicId: string): void {
    this.topics.delete(`${projectId}\u0000${topicId}`);
  }

  /** Folds a merged-away topic's counts into the survivor. */
  merge(projectId: string, from: string, into: string): void {
    const a = this.topics.get(`${projectId}\u0000${from}`);
    if (!a) return;
    this.topics.delete(`${projectId}\u0000${from}`);
    const key = `${projectId}\u0000${into}`;
    const b = this.topics.get(key);
    if (!b) {
      this.topics.set(key, a);
      return;
    }
    b.questions += a.questions;
    b.gaps += a.gaps;
    b.scoreSum += a.scoreSum;
    b.recent = [b.recent[0] + a.recent[0], b.recent[1] + a.recent[1]];
    b.before = [b.before[0] + a.before[0], b.before[1] + a.before[1]];
    b.samples = [...b.samples, ...a.samples].slice(0, this.maxSamples);
  }
}
