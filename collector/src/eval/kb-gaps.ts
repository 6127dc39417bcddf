/**
 * `oversight eval --task kb-gaps`: the protocol of the eval README. Some
 * intents are gaps (`oos`, and for BANKING77 eight named ones); every other
 * intent contributes its first five rows as knowledge-base documents. The
 * remaining rows stream in file order as questions: each retrieves its top 3
 * documents with the built-in embedder (or, given the rows' USE-lite vectors,
 * with the `use` embedder's vectors, which also cluster the questions), gets its retrieval gap signal (the
 * score calibrated as the project's own), and joins a topic. The headline
 * score is what a trace with retrieval scores gets; one that also carries
 * its documents' text gets the context relevance of the three documents
 * joined to the retrieval evidence, which is reported beside it
 * (`aurocWithText`), as is each signal alone (docs/topics.md, "The gap
 * score"). Reported: AUROC of the per-question gap score (positive = gap
 * intent) and the precision of the top-k topics by gap score, k = number of
 * gap intents; `evaluateKbGapDraws` reruns the protocol with seeded draws of
 * other gap intents.
 */
import { basename } from 'node:path';
import { contextRelevance, seededRandom } from '@oversight/scorers';
import { type HashedEmbedder, UseEmbedder } from '@oversight/scorers/embed';
import { BUILTIN_DIMENSION, DEFAULT_BUILTIN_EMBEDDER, TopicClusterer } from '../enrich/topics/clusterer.ts';
import {
  AskedCounts,
  GapCalibrator,
  GapTracker,
  gapSignals,
  ownGapScore,
  PeerNearness,
  RelevanceCalibrator,
  topicInformedScore,
} from '../enrich/topics/gaps.ts';
import { auroc, type Spread, spread } from './metrics.ts';
import { type IntentRow, OFF_TOPIC_INTENT } from './topics.ts';

export const BANKING77_GAP_INTENTS = [
  'age_limit',
  'country_support',
  'fiat_currency_support',
  'lost_or_stolen_phone',
  'terminate_account',
  'edit_personal_details',
  'receiving_money',
  'atm_support',
];

export const KB_DOCS_PER_INTENT = 5;
export const TOP_K_DOCS = 3;

export interface KbGapsReport {
  task: 'kb-gaps';
  file: string;
  documents: number;
  questions: number;
  gapQuestions: number;
  gapIntents: string[];
  /** AUROC of the per-question gap score (its own retrieval evidence blended with its topic's, online). */
  auroc: number;
  /**
   * The same for traces that carry their documents' text, as production
   * scores them: the context relevance joins the retrieval evidence
   * (`gapSignals`), each calibrated on the project's own distribution.
   */
  aurocWithText: number;
  /**
   * AUROC of each signal alone: the retrieval score, the context relevance of
   * the retrieved documents, both combined as `gapSignals` does in the trace
   * stage, and the question's topic's mean score so far.
   */
  signalAuroc: {
    retrieval: number;
    contextRelevance: number;
    retrievalAndRelevance: number;
    topic: number;
  };
  /** Share of the top-k gap topics' questions that are gap questions. */
  topicPrecision: number;
  k: number;
  topics: number;
  /** Share of questions flagged kb_gap, and of gap / non-gap questions flagged. */
  flaggedRate: number;
  gapRecall: number;
  falseGapRate: number;
  /** The embedder that retrieved and clustered (its id). */
  embedder: string;
  /** The same protocol over seeded random draws of the gap intents (`--draws`). */
  draws?: KbGapsDraws;
}

/**
 * The protocol rerun with other gap intents. The fixed set names subjects
 * unlike the rest of the file; a draw also picks intents whose neighbours
 * stay in the knowledge base (a card's arrival beside its delivery
 * estimate), where a lexically close document answers nearly. So the spread
 * shows how much of the headline belongs to the choice of gaps.
 */
export interface KbGapsDraws {
  draws: number;
  /** Intents drawn as gaps each time: as many as the fixed set names (`oos`, when present, stays a gap in every draw). */
  gapIntents: number;
  seed: number;
  auroc: Spread;
  /** The question's topic alone (`signalAuroc.topic`). */
  topicAuroc: Spread;
  topicPrecision: Spread;
}

/** Seed of the draws: fixed, so every run and every embedder sees the same gap sets. */
export const GAP_DRAW_SEED = 20261204;

export interface KbGapsOptions {
  /** The built-in embedder that retrieves and clusters (default the student, as the collector's; `hashed` for the n-grams alone). */
  builtinEmbedder?: (dimension: number) => HashedEmbedder;
  /**
   * Each row text's raw USE-lite vector (UseEncoder.encode): retrieval and
   * topics then use the `use` embedder's vectors instead of the hashed ones.
   */
  useVectors?: ReadonlyMap<string, Float32Array>;
  /** The gap intents, instead of the protocol's (`gapIntentsFor`). */
  gapIntents?: ReadonlySet<string>;
}

export function gapIntentsFor(file: string, rows: readonly IntentRow[]): Set<string> {
  const gap = new Set<string>(['oos']);
  if (basename(file).startsWith('banking77')) for (const i of BANKING77_GAP_INTENTS) gap.add(i);
  const present = new Set(rows.map((r) => r.intent));
  return new Set([...gap].filter((i) => present.has(i)));
}

/**
 * The protocol's knowledge base: the first KB_DOCS_PER_INTENT questions of each
 * answerable intent become its documents; everything else is the question
 * stream. A follow-up ("…? is that free?") is no document: a knowledge base
 * holds what answers questions, and one read with the question before it
 * would be that question with a conversation's words added.
 */
export function splitKnowledgeBase(
  rows: readonly IntentRow[],
  gapIntents: ReadonlySet<string>,
): { docs: string[]; stream: IntentRow[] } {
  const taken = new Map<string, number>();
  const docs: string[] = [];
  const stream: IntentRow[] = [];
  for (const r of rows) {
    const n = taken.get(r.intent) ?? 0;
    if (!gapIntents.has(r.intent) && n < KB_DOCS_PER_INTENT && r.followed === undefined) {
      taken.set(r.intent, n + 1);
      docs.push(r.text);
    } else stream.push(r);
  }
  return { docs, stream };
}

/**
 * A set with off-topic questions mixed in, as the eval README's protocol
 * reads a set with `oos` rows: every intent of the set has documents, and the
 * questions outside all of them (a banking assistant asked the height of a
 * mountain) are the gaps. The off-topic rows go to seeded places in the
 * set's order, each list keeping its own, so every run and embedder sees the
 * same stream. The gap intents to pass `evaluateKbGaps` are just `oos`: a
 * BANKING77 file's eight named gaps keep their documents here.
 */
export function withOffTopic(
  rows: readonly IntentRow[],
  offTopic: readonly IntentRow[],
  seed = GAP_DRAW_SEED,
): IntentRow[] {
  const random = seededRandom(seed);
  // How many of the set's rows come before each off-topic one; sorted, so
  // both keep their own order.
  const places = offTopic.map(() => Math.floor(random() * (rows.length + 1))).sort((a, b) => a - b);
  const out: IntentRow[] = [];
  let next = 0;
  offTopic.forEach((r, i) => {
    while (next < (places[i] as number)) out.push(rows[next++] as IntentRow);
    out.push({ text: r.text, intent: OFF_TOPIC_INTENT });
  });
  while (next < rows.length) out.push(rows[next++] as IntentRow);
  return out;
}

/** The retrieval embedder: indexed on the documents once, then queried without learning. */
function retrieverFor(
  docs: readonly string[],
  useVectors: ReadonlyMap<string, Float32Array> | undefined,
  builtin: (dimension: number) => HashedEmbedder,
) {
  if (!useVectors) {
    const hashed = builtin(BUILTIN_DIMENSION);
    for (const d of docs) hashed.observe(d);
    return { id: hashed.id, embed: (text: string) => hashed.embedOne(text, false) };
  }
  const vectorOf = (text: string) => {
    const v = useVectors.get(text);
    if (!v) throw new Error(`no USE vector for row text ${JSON.stringify(text.slice(0, 60))}`);
    return v;
  };
  // Never encodes (the vectors are given), so it starts no worker.
  const use = new UseEmbedder({ learn: false });
  for (const d of docs) use.observe(d, vectorOf(d));
  return { id: use.id, embed: (text: string) => use.fromParts(text, vectorOf(text), false) };
}

export function evaluateKbGaps(
  rows: readonly IntentRow[],
  file = 'input',
  options: KbGapsOptions = {},
): KbGapsReport {
  const gapIntents = options.gapIntents ?? gapIntentsFor(file, rows);
  if (gapIntents.size === 0)
    throw new Error(`${file}: no gap intent (oos, or a BANKING77 file) among the rows`);
  const { docs, stream } = splitKnowledgeBase(rows, gapIntents);

  const projectId = 'eval';
  const tracker = new GapTracker();
  // The same questions scored as traces that carry their documents' text are
  // in production: with the context relevance, so with their own topic means.
  const withText = new GapTracker();
  const builtin = options.builtinEmbedder ?? DEFAULT_BUILTIN_EMBEDDER;
  const clusterer = new TopicClusterer({
    builtinEmbedder: builtin,
    onMerge: (p, from, into) => {
      tracker.merge(p, from, into);
      withText.merge(p, from, into);
    },
  });
  // Retrieval has its own embedder: the knowledge base is indexed once with
  // IDF (and the encoder mean) learned from the documents, and queries must
  // not shift it afterwards.
  const retriever = retrieverFor(docs, options.useVectors, builtin);
  const docVectors = docs.map((d) => retriever.embed(d));
  // The topics' embedder learns online from the questions, as in the collector.
  const topicsUse = options.useVectors ? new UseEmbedder() : undefined;

  const calibrator = new GapCalibrator();
  const nearness = new PeerNearness();
  const relevances = new RelevanceCalibrator();
  // A question asked word for word teaches the distributions a bounded number of times, as in the collector.
  const asked = new AskedCounts();
  const scores: number[] = [];
  const relevanceScores: number[] = [];
  const bothScores: number[] = [];
  const withTextScores: number[] = [];
  const ownScores: number[] = [];
  const topicScores: number[] = [];
  const positives: boolean[] = [];
  const topicOf: string[] = [];
  let flagged = 0;
  let flaggedGap = 0;
  for (const r of stream) {
    const q = retriever.embed(r.text);
    const sims = docVectors.map((d) => {
      let dot = 0;
      for (let i = 0; i < q.length; i++) dot += (q[i] as number) * (d[i] as number);
      return dot;
    });
    const ranked = sims.map((sim, i) => [sim, i] as const).sort((a, b) => b[0] - a[0]);
    const top = ranked.slice(0, TOP_K_DOCS);
    const topScore = top.reduce((a, [sim]) => a + sim, 0) / Math.max(1, top.length);
    const assigned = topicsUse
      ? clusterer.assignDetailed(
          projectId,
          r.reading ?? r.text,
          topicsUse.fromParts(r.text, options.useVectors?.get(r.text) as Float32Array),
          topicsUse.id,
        )
      : clusterer.assignDetailed(projectId, r.reading ?? r.text);
    const topicId = assigned.topicId;
    const peers = nearness.percentile(
      projectId,
      assigned.embedder,
      assigned.nearest,
      true,
      assigned.question,
      r.followed?.after,
    );
    const learns = asked.learns(projectId, assigned.question);
    const thresholds = calibrator.judge(topScore, peers, learns);
    const relevance = contextRelevance(
      r.text,
      top.map(([, i]) => docs[i] as string),
    ).score;
    const result = gapSignals({ documents: top.length, topScore }, thresholds);
    const judged = {
      ...thresholds,
      contextRelevancePercentile: relevances.percentile(projectId, relevance, learns),
    };
    const both = gapSignals({ documents: top.length, topScore, contextRelevance: relevance }, judged);
    const ownBoth = ownGapScore(both, topScore, judged) ?? 0;
    relevanceScores.push(1 - relevance);
    bothScores.push(ownBoth);
    withText.record(projectId, topicId, r.text, { ...both, score: ownBoth });
    withTextScores.push(topicInformedScore(ownBoth, withText.meanScore(projectId, topicId)));
    const own = ownGapScore(result, topScore, thresholds) ?? 0;
    tracker.record(projectId, topicId, r.text, { ...result, score: own });
    const positive = gapIntents.has(r.intent);
    // Online: the topic as it stands when the question arrives (this question included), not as it ends.
    const topicMean = tracker.meanScore(projectId, topicId);
    ownScores.push(own);
    topicScores.push(topicMean ?? own);
    scores.push(topicInformedScore(own, topicMean));
    positives.push(positive);
    topicOf.push(topicId);
    if (result.kbGap) {
      flagged++;
      if (positive) flaggedGap++;
    }
  }
  clusterer.maintain({ final: true });
  const final = topicOf.map((id) => clusterer.resolve(projectId, id) ?? id);

  const members = new Map<string, { n: number; gap: number }>();
  final.forEach((id, i) => {
    const m = members.get(id) ?? { n: 0, gap: 0 };
    m.n++;
    if (positives[i]) m.gap++;
    members.set(id, m);
  });
  const ranked = tracker.ranked(projectId, 'meanScore');
  const k = gapIntents.has('oos')
    ? Math.max(1, [...members.values()].filter((m) => m.gap * 2 > m.n).length)
    : gapIntents.size;
  let inTop = 0;
  let gapInTop = 0;
  for (const t of ranked.slice(0, k)) {
    const m = members.get(t.topicId);
    if (!m) continue;
    inTop += m.n;
    gapInTop += m.gap;
  }
  const nGap = positives.filter(Boolean).length;
  return {
    task: 'kb-gaps',
    file,
    documents: docs.length,
    questions: stream.length,
    gapQuestions: nGap,
    gapIntents: [...gapIntents],
    auroc: auroc(scores, positives),
    aurocWithText: auroc(withTextScores, positives),
    signalAuroc: {
      retrieval: auroc(ownScores, positives),
      contextRelevance: auroc(relevanceScores, positives),
      retrievalAndRelevance: auroc(bothScores, positives),
      topic: auroc(topicScores, positives),
    },
    topicPrecision: inTop > 0 ? gapInTop / inTop : 0,
    k,
    topics: members.size,
    flaggedRate: stream.length > 0 ? flagged / stream.length : 0,
    gapRecall: nGap > 0 ? flaggedGap / nGap : 0,
    falseGapRate: stream.length - nGap > 0 ? (flagged - flaggedGap) / (stream.length - nGap) : 0,
    embedder: retriever.id,
  };
}

/**
 * `draws` seeded sets of gap intents, each as large as the fixed protocol's:
 * its named intents are replaced by as many drawn from the file's other
 * intents (at least one), and `oos` stays in every set when the file has it.
 */
export function drawGapIntents(
  rows: readonly IntentRow[],
  file: string,
  draws: number,
  seed = GAP_DRAW_SEED,
): Set<string>[] {
  const fixed = gapIntentsFor(file, rows);
  const named = Math.max(1, fixed.size - (fixed.has('oos') ? 1 : 0));
  const pool = [...new Set(rows.map((r) => r.intent))].filter((i) => i !== 'oos').sort();
  if (pool.length <= named)
    throw new Error(
      `${file}: ${pool.length} intents cannot leave a knowledge base after drawing ${named} gaps`,
    );
  const random = seededRandom(seed);
  return Array.from({ length: draws }, () => {
    // A partial Fisher–Yates shuffle: the first `named` places are the draw.
    const order = [...pool];
    for (let i = 0; i < named; i++) {
      const j = i + Math.floor(random() * (order.length - i));
      [order[i], order[j]] = [order[j] as string, order[i] as string];
    }
    const set = new Set(order.slice(0, named));
    if (fixed.has('oos')) set.add('oos');
    return set;
  });
}

/** The protocol over `draws` seeded draws of gap intents (`drawGapIntents`), each run as `evaluateKbGaps`. */
export function evaluateKbGapDraws(
  rows: readonly IntentRow[],
  file: string,
  options: Omit<KbGapsOptions, 'gapIntents'>,
  draws: number,
  seed = GAP_DRAW_SEED,
): KbGapsDraws {
  if (!Number.isInteger(draws) || draws < 1) throw new Error(`draws must be an integer ≥ 1, got ${draws}`);
  const sets = drawGapIntents(rows, file, draws, seed);
  const reports = sets.map((gapIntents) => evaluateKbGaps(rows, file, { ...options, gapIntents }));
  return {
    draws,
    gapIntents: sets[0]?.size ?? 0,
    seed,
    auroc: spread(reports.map((r) => r.auroc)),
    topicAuroc: spread(reports.map((r) => r.signalAuroc.topic)),
    topicPrecision: spread(reports.map((r) => r.topicPrecision)),
  };
}
