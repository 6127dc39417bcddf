/**
 * The topics and knowledge-base gaps enricher of the trace stage: per
 * generation it places the question in a topic, derives the gap signals from
 * what the trace and the earlier enrichers found, and returns the topics it
 * changed as `topics` rows (the clusterer's state, so a restart resumes it).
 *
 * The vector for a question is, first choice, the query embedding the app
 * computed for its own retrieval (free and semantic, one space per project and
 * width); else the configured embedder (built-in hashed n-grams, those plus
 * the USE-lite sentence encoder on a worker thread, an OpenAI-compatible
 * endpoint, or a local ONNX model). An external embedder
 * that fails is reported once and the built-in one takes over for that batch,
 * so topics never stop because an endpoint is down.
 *
 * Negative feedback is not known here (it arrives later through /v1/feedback);
 * the `kb_gaps` view joins it by trace (see docs/schema.md).
 */
import {
  type Embedder,
  followsUp,
  OnnxEmbedder,
  OpenAIEmbedder,
  type QuestionReading,
  questionReading,
  questionText,
  SentenceStudent,
  type SuppliedEmbedding,
  suppliedEmbedding,
  UseEmbedder,
  VectorCache,
} from '@oversight/scorers/embed';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { LoopSlices } from '../../loop-slices.ts';
import type { LlmSpan } from '../../normalize/index.ts';
import { turnOf } from '../../pipeline/assemble/pairing.ts';
import type { Row, Store } from '../../store/store.ts';
import { EMBEDDER_STATE, GAP_STATE, qualifiedTable, TOPIC_VOCABULARY, TOPICS } from '../../store/tables.ts';
import type { EnrichContext, TraceEnricher, TraceEnrichment, TraceGeneration } from '../trace-enricher.ts';
import {
  type Assignment,
  BUILTIN_EMBEDDERS,
  type ClustererOptions,
  DEFAULT_BUILTIN_EMBEDDER,
  TopicClusterer,
} from './clusterer.ts';
import { EmbedderStateWriter, restoreEmbedderState } from './embedder-state.ts';
import { GapStateWriter, restoreGapState } from './gap-state.ts';
import {
  AskedCounts,
  DEFAULT_GAP_THRESHOLDS,
  GapCalibrator,
  type GapThresholds,
  GapTracker,
  gapSignals,
  ownGapScore,
  PeerNearness,
  RelevanceCalibrator,
  topicInformedScore,
} from './gaps.ts';
import { PlacedQuestions, RecentQuestions } from './recent-questions.ts';
import type { RestoredGaps, TopicRowInput } from './types.ts';
import { restoreVocabularies, VocabularyStateWriter } from './vocabulary-state.ts';

/** Where question vectors come from when the app sent none. */
export const topicsEmbedderSchema = z.discriminatedUnion('kind', [
  /** The hashed n-grams beside the distilled sentence student, on the main thread (the default). */
  z.object({ kind: z.literal('student') }),
  /** The hashed n-grams alone: the cheapest. */
  z.object({ kind: z.literal('hashed') }),
  /** Hashed features ⊕ USE-lite; `share` of the cosine from the encoder (default 0.5). */
  z.object({ kind: z.literal('use'), share: z.number().min(0).max(1).optional() }),
  z.object({
    kind: z.literal('openai'),
    baseURL: z.url(),
    model: z.string().min(1),
    apiKey: z.string().optional(),
    dimension: z.number().int().positive().optional(),
  }),
  z.object({ kind: z.literal('onnx'), dir: z.string().min(1) }),
]);
export type TopicsEmbedderConfig = z.infer<typeof topicsEmbedderSchema>;

export interface TopicsEnricherOptions {
  /** Read at creation (`restoreTopics`); rows go back through the trace stage's writer. */
  store: Pick<Store, 'query' | 'database'>;
  /** Default the student (`{ kind: 'student' }`), as the collector's `--topics-embedder`. */
  embedder?: TopicsEmbedderConfig;
  /** An embedder instance instead of `embedder` (tests, or one shared with other stages). */
  embedderInstance?: Embedder;
  clusterer?: ClustererOptions;
  /** Calibration of top retrieval scores per project (see RetrievalCalibrator). */
  calibrator?: { capacity?: number; minSamples?: number; spread?: number };
  thresholds?: { contextRelevance?: number; groundedness?: number };
  /** Milliseconds the external embedder is skipped after it failed (default 30 s; the built-in one stands in). */
  embedderRetryAfterMs?: number;
  /**
   * Questions whose external vectors (the USE encoder's, an endpoint's or a
   * model's) are kept for repeats, most recent first (default
   * `DEFAULT_VECTOR_CACHE`, 4,096; 0: none).
   */
  embedderCache?: number;
  /** User turns remembered so a re-scored trace, or a turn of several calls, counts its question once (default 20,000). */
  rememberTurns?: number;
  /**
   * A changed topic's row is rewritten at most this often (default 0: every batch that changes
   * it). A row carries the whole centroid, 5–7 KB: rewritten every batch, a busy project's
   * `topics` inserts outweigh its spans. New topics and merges are written at once either way;
   * what waits goes out by `heldBack()` at a clean stop.
   */
  topicRowsEveryMs?: number;
  now?: () => Date;
  /** Milliseconds placing questions may hold the event loop before it is handed back (default 10). */
  sliceMs?: number;
  /** One line per distinct problem (a failing endpoint, a bad supplied embedding). */
  onWarning?: (message: string) => void;
}

export interface TopicsEnricher extends TraceEnricher {
  readonly clusterer: TopicClusterer;
  readonly gaps: GapTracker;
  /** What `restoreTopics` loaded at creation. */
  readonly restored: { restored: number; errors: string[] };
  close(): Promise<void>;
}

/**
 * Latest row per topic: ReplacingMergeTree(last_seen) keeps the newest, FINAL
 * applies it now. Read in pages by sort key (a filter on the sort key is safe
 * with FINAL), so a large table never sits in memory as one JSON answer.
 */
function topicsPage(database: string): string {
  // The output is named topic_id (a string: JSON numbers lose precision past 2^53); t.topic_id is the column.
  return `SELECT t.project_id AS project_id, toString(t.topic_id) AS topic_id, label, top_terms, size, first_seen,
       last_seen, representative, embedder, centroid, gap_count, graded, gap_score_sum, term_counts,
       toString(merged_into) AS merged_into
FROM ${qualifiedTable(database, TOPICS)} AS t FINAL
WHERE (t.project_id, t.topic_id) > ({project:String}, {topic:UInt64})
ORDER BY t.project_id, t.topic_id
LIMIT {limit:UInt32}`;
}

/**
 * Loads the stored topics into `clusterer` (a fresh one by default), so topic
 * ids, sizes and labels carry on across a restart, and gives back their gap
 * counts for the gap tracker. Bad rows are reported and skipped.
 */
export async function restoreTopics(
  store: Pick<Store, 'query' | 'database'>,
  clusterer: TopicClusterer = new TopicClusterer({ builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER }),
  pageSize = 1_000,
): Promise<{ clusterer: TopicClusterer; restored: number; errors: string[]; gaps: RestoredGaps[] }> {
  let restored = 0;
  const errors: string[] = [];
  const gaps: RestoredGaps[] = [];
  let after = { project: '', topic: '0' };
  for (;;) {
    const rows = await store.query<TopicRowInput & { topic_id: string }>(topicsPage(store.database), {
      params: { ...after, limit: pageSize },
    });
    const page = clusterer.restore(rows);
    restored += page.restored;
    errors.push(...page.errors);
    gaps.push(...page.gaps);
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    after = { project: last.project_id, topic: last.topic_id };
  }
  return { clusterer, restored, errors, gaps };
}

function makeEmbedder(config: TopicsEmbedderConfig | undefined): Embedder | undefined {
  // The student is a built-in embedder: the clusterer makes one per project.
  if (!config || config.kind === 'hashed' || config.kind === 'student') return undefined;
  if (config.kind === 'use')
    return new UseEmbedder(config.share !== undefined ? { share: config.share } : {});
  if (config.kind === 'openai')
    return new OpenAIEmbedder({
      baseURL: config.baseURL,
      model: config.model,
      // The trace stage waits for it: a slow endpoint must not stall the drain for long.
      timeoutMs: 5_000,
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.dimension ? { dimension: config.dimension } : {}),
    });
  return new OnnxEmbedder({ dir: config.dir });
}

/**
 * Documents whose scores make a question's retrieval score: the mean of the
 * best three says whether retrieval found support, where the single best
 * can be one lucky lexical match (kb-gaps eval on banking77, hashed
 * retrieval: AUROC 0.780 for the mean of three, 0.763 for the best alone).
 */
const TOP_DOCUMENTS = 3;

interface RetrievalEvidence {
  documents: number | undefined;
  topScore: number | undefined;
  scale: string;
}

const NO_RETRIEVAL: RetrievalEvidence = Object.freeze({
  documents: undefined,
  topScore: undefined,
  scale: '',
});

/** The retrieval spans' evidence: documents returned and their top score, reranker output preferred. */
export function retrievalEvidence(retrievals: readonly LlmSpan[]): RetrievalEvidence {
  if (retrievals.length === 0) return NO_RETRIEVAL;
  // A rerank replaces what it reranked, and its scores are on its own scale.
  const reranks = retrievals.filter((r) => r.operation === 'rerank');
  const used = reranks.length > 0 ? reranks : retrievals;
  let documents = 0;
  const scores: number[] = [];
  for (const r of used) {
    documents += r.documents.length;
    for (const d of r.documents) if (d.score != null && Number.isFinite(d.score)) scores.push(d.score);
  }
  const best = scores.sort((a, b) => b - a).slice(0, TOP_DOCUMENTS);
  const topScore = best.length > 0 ? best.reduce((a, b) => a + b, 0) / best.length : undefined;
  return { documents, topScore, scale: reranks.length > 0 ? 'rerank' : 'retrieval' };
}

/**
 * Whether a follow-up's retrieval searched its own words alone ("is that
 * free?"). Topics read it after the message before it, but its retrieval
 * looked for no subject, so its scores say nothing of the knowledge base.
 * An app that rewrites a follow-up into a question of its own before
 * retrieving ("is a second card free?", "Slack pricing") keeps its
 * evidence, and so does a retrieval whose query the trace does not carry:
 * there is nothing to judge. A query is judged as a message is
 * (`followsUp`), so what stands alone as a question stands as a search.
 */
export function searchedNoSubject(retrievals: readonly LlmSpan[]): boolean {
  const queries = retrievals.map((r) => r.retrievalQuery).filter((q) => q.trim() !== '');
  return queries.length > 0 && queries.every((q) => followsUp(questionText(q)));
}

function appEmbedding(retrievals: readonly LlmSpan[]): { values: number[]; model: string } | undefined {
  for (const r of retrievals)
    if (r.queryEmbedding && r.queryEmbedding.length > 0)
      return { values: r.queryEmbedding, model: r.requestModel };
  return undefined;
}

export async function createTopicsEnricher(options: TopicsEnricherOptions): Promise<TopicsEnricher> {
  const embedderConfig = options.embedder ? topicsEmbedderSchema.parse(options.embedder) : undefined;
  const gaps = new GapTracker();
  const now = options.now ?? (() => new Date());
  const topicRowsEveryMs = options.topicRowsEveryMs ?? 0;
  const builtinEmbedder =
    options.clusterer?.builtinEmbedder ??
    (embedderConfig?.kind === 'hashed' ? BUILTIN_EMBEDDERS.hashed : DEFAULT_BUILTIN_EMBEDDER);
  // The student's weights (6 MB) are read now, before the collector says it is ready, rather
  // than by the first question to arrive: 30 ms on a quiet loop, 130–240 ms of a busy one.
  if (builtinEmbedder === BUILTIN_EMBEDDERS.student) SentenceStudent.shipped();
  const clusterer = new TopicClusterer({
    now,
    ...options.clusterer,
    builtinEmbedder,
    onMerge: (projectId, from, into) => {
      gaps.merge(projectId, from, into);
      options.clusterer?.onMerge?.(projectId, from, into);
    },
    onEvict: (projectId, topicId) => {
      gaps.forget(projectId, topicId);
      options.clusterer?.onEvict?.(projectId, topicId);
    },
    // The tracker owns each topic's gap counts; the topic's row carries them.
    gapColumns: (projectId, topicId) => gaps.columns(projectId, topicId),
  });
  // The embedders first: a project's topics then do not teach it again.
  const embedderWriter = new EmbedderStateWriter(clusterer);
  const embedderState = await restoreEmbedderState(options.store, clusterer, embedderWriter);
  // The label vocabularies too: the topics' term tables then do not count into them again.
  const vocabularyWriter = new VocabularyStateWriter(clusterer);
  const vocabularies = await restoreVocabularies(options.store, clusterer, vocabularyWriter);
  const { restored, errors, gaps: restoredGaps } = await restoreTopics(options.store, clusterer);
  // Each topic's gaps and mean gap score, which every question's score blends in, carry on from its row.
  for (const r of restoredGaps) gaps.seed(r.projectId, r.topicId, r.columns);
  const external = options.embedderInstance ?? makeEmbedder(embedderConfig);
  const calibrators = new Map<string, GapCalibrator>();
  const nearness = new PeerNearness(options.calibrator);
  const relevances = new RelevanceCalibrator(options.calibrator);
  // Recent user turns (a trace's question after its earlier messages), the
  // oldest forgotten first: a turn is placed once, whichever of its
  // generations comes first (an agent's tool call, its answer, or the same
  // span scored again). `peers`: the question's nearness percentile when it
  // was placed, so a re-scored trace is judged as it was the first time;
  // `gap`: the verdict the turn's answer recorded, once it has.
  // `learns`: whether the project's distributions learn from the turn's evidence (`AskedCounts`).
  const turns = new RecentQuestions<{
    topicId: string;
    gap?: boolean;
    peers: number | null;
    learns?: boolean;
  }>(options.rememberTurns ?? 20_000);
  const placed = new PlacedQuestions();
  const askedCounts = new AskedCounts();
  const resolve = (projectId: string, topicId: string) => clusterer.resolve(projectId, topicId);
  const thresholds = { ...DEFAULT_GAP_THRESHOLDS, ...options.thresholds };
  const warned = new Set<string>();
  const warn = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    (options.onWarning ?? ((m: string) => console.error(`[oversight] ${m}`)))(message);
  };
  if (errors.length > 0)
    warn('restore', `topics: ${errors.length} stored topic rows skipped at restore (${errors[0]})`);
  if (embedderState.errors.length > 0)
    warn(
      'restore-embedder-state',
      `topics: ${embedderState.errors.length} stored embedder_state rows skipped at restore; those projects relearn from their topics (${embedderState.errors[0]})`,
    );
  if (vocabularies.errors.length > 0)
    warn(
      'restore-vocabulary',
      `topics: ${vocabularies.errors.length} stored topic_vocabulary rows skipped at restore; those spaces count their topics' terms instead (${vocabularies.errors[0]})`,
    );

  const calibrator = (projectId: string, scale: string) => {
    const key = `${projectId}\u0000${scale}`;
    let c = calibrators.get(key);
    if (!c) {
      c = new GapCalibrator(options.calibrator);
      calibrators.set(key, c);
    }
    return c;
  };
  const holders = { calibrators, calibrator, nearness, relevances };
  const stateWriter = new GapStateWriter(holders);
  const gapState = await restoreGapState(options.store, holders, stateWriter);
  if (gapState.errors.length > 0)
    warn(
      'restore-gap-state',
      `topics: ${gapState.errors.length} stored gap_state rows skipped at restore (${gapState.errors[0]})`,
    );

  // After a failure the endpoint is left alone for a while: each call to a
  // dead one would hold the trace stage for its whole timeout.
  const retryAfterMs = options.embedderRetryAfterMs ?? 30_000;
  let externalDownUntil = 0;

  // The USE embedder's hashed part learns its IDF table, and its encoder part
  // the mean it is centred on, from the texts it sees: per project, as the
  // built-in embedder does, so one app's traffic never shapes another's
  // vectors. One worker thread (the template's) encodes for all of them.
  const use = external instanceof UseEmbedder ? external : undefined;
  // Keyed by the text alone: the USE path caches the encoder's raw vectors,
  // which the per-project parts (IDF, centring) are then added to as usual.
  const cache = new VectorCache(options.embedderCache);
  const useByProject = new Map<string, UseEmbedder>();
  const useFor = (template: UseEmbedder, projectId: string): UseEmbedder => {
    let e = useByProject.get(projectId);
    if (!e) {
      e = new UseEmbedder({
        encoder: template.encoder,
        share: template.share,
        dimension: template.hashedDimension,
      });
      // Neither state is stored (the built-in embedder's is, embedder-state.ts).
      // The restored topics' questions give the IDF table back; the
      // encoder mean restarts empty: re-encoding the 64 largest topics'
      // questions to warm it changed nothing measurable (banking77, restart
      // after 500 or 1,500 of 3,000 questions: NMI/ARI within ±0.005 of cold).
      for (const t of clusterer.topics(projectId)) if (t.embedder === e.id) e.observe(t.representative);
      useByProject.set(projectId, e);
    }
    return e;
  };

  async function embedQuestions(
    asked: readonly TraceGeneration[],
    questions: string[],
  ): Promise<Float32Array[]> {
    if (!use) return cache.through(questions, (texts) => (external as Embedder).embed(texts));
    const encoded = await cache.through(questions, (texts) => use.encode(texts));
    return asked.map((g, i) =>
      useFor(use, g.projectId).fromParts(questions[i] as string, encoded[i] as Float32Array),
    );
  }

  /**
   * External vectors for the questions (`questions[i]` is what `asked[i]`
   * asks) that have no app embedding, in one batch; undefined when unavailable.
   */
  async function externalVectors(
    asked: readonly TraceGeneration[],
    questions: string[],
  ): Promise<Float32Array[] | undefined> {
    if (!external || asked.length === 0) return undefined;
    if (now().getTime() < externalDownUntil) return undefined;
    try {
      const vectors = await embedQuestions(asked, questions);
      if (vectors.length !== questions.length)
        throw new Error(`returned ${vectors.length} vectors for ${questions.length} texts`);
      // Back up: the next outage is worth a line again.
      warned.delete('embedder');
      return vectors;
    } catch (error) {
      externalDownUntil = now().getTime() + retryAfterMs;
      warn(
        'embedder',
        `topics: embedder ${external.id} failed, using the built-in one meanwhile: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  // `rescore` is not needed: the memory of recent turns tells a re-scored
  // span from a new one, even when the trace stage cannot (a WAL replay), and
  // for a turn it forgot, `counted` does (the trace stage's quality ledger).
  async function enrich(delivered: TraceGeneration[], context?: EnrichContext): Promise<TraceEnrichment> {
    // A step of the app's own (a question rewritten for retrieval, a guard of the user's
    // message) asks nothing of its user.
    const generations = delivered.filter((g) => g.pair.appStep === undefined);
    // What topics read of each question (its opening; a follow-up with the message before it), cut once.
    const readingOf = new Map(generations.map((g) => [g, questionReading(g.pair.question, g.pair.earlier)]));
    const readOf = (g: TraceGeneration) => readingOf.get(g) as QuestionReading;
    const turnKeys = new Map(generations.map((g) => [g, turnOf(g.pair)]));
    const turnKey = (g: TraceGeneration) => turnKeys.get(g) as string;
    const asked = generations.filter((g) => readOf(g).text.trim() !== '');
    const supplied = new Map<TraceGeneration, SuppliedEmbedding>();
    for (const g of asked) {
      const app = appEmbedding(g.retrievals);
      if (!app) continue;
      try {
        supplied.set(g, suppliedEmbedding(app.values, app.model));
      } catch (error) {
        warn(
          `supplied:${g.projectId}`,
          `topics: project ${g.projectId} sent an unusable query embedding, using the configured embedder: ${(error as Error).message}`,
        );
      }
    }
    // A follow-up the app embedded as it was sent ("is that free?") joins the
    // topic of the question it follows (`PlacedQuestions`: that question may be
    // in this very batch, so it is looked up when placed); one whose question is
    // no longer known is embedded as the questions without an app embedding are.
    const following = new Set<TraceGeneration>();
    for (const g of supplied.keys()) {
      if (!readOf(g).followUp || !searchedNoSubject(g.retrievals)) continue;
      supplied.delete(g);
      following.add(g);
    }
    const followedTopic = (g: TraceGeneration) => {
      const after = following.has(g) ? readOf(g).after : undefined;
      return after === undefined ? undefined : placed.topicOf(g.projectId, after, resolve);
    };
    // The generation that answers a turn first: it places the turn, with its
    // retrieval's query embedding, before the calls it made on the way.
    const order = [
      ...generations.filter((g) => !g.pair.answeredLater),
      ...generations.filter((g) => g.pair.answeredLater),
    ];
    // A re-scored generation this process no longer remembers (a restart since, or a late span
    // after its turn left memory) keeps what the roll-up counts for it: its topic, and the verdict
    // its topic's gap count holds. Placed again, it would count in its topic twice. Its nearness
    // is not kept, so its gap is judged again without its peers.
    for (const g of order) {
      const c = g.counted;
      if (!c || c.topicId === 0n || turns.use(g.projectId, turnKey(g), g.traceId)) continue;
      // A call on the way to the answer records no verdict; the answer comes first in `order`.
      const verdict = g.pair.answeredLater ? {} : { gap: c.kbGap === true };
      turns.set(g.projectId, turnKey(g), { topicId: String(c.topicId), peers: null, ...verdict }, g.traceId);
    }
    const needVector: TraceGeneration[] = [];
    const placing = new Set<string>();
    for (const g of order) {
      if (readOf(g).text.trim() === '' || supplied.has(g) || followedTopic(g) !== undefined) continue;
      const turn = `${g.projectId}\u0000${g.traceId}\u0000${turnKey(g)}`;
      if (placing.has(turn) || turns.use(g.projectId, turnKey(g), g.traceId)) continue;
      placing.add(turn);
      needVector.push(g);
    }
    const vectors = await externalVectors(
      needVector,
      needVector.map((g) => readOf(g).text),
    );
    const embedded = new Map(needVector.map((g, i) => [g, vectors?.[i]]));

    // Placing a question takes 0.3–6 ms on the event loop (more as topics grow and the
    // machine is busy): the stage's slice of 64 held it for up to 400 ms under load.
    // Only this enricher's calls touch its state, one at a time, so a pause between
    // two questions changes nothing it reads.
    const slices = new LoopSlices(options.sliceMs);
    for (const g of order) {
      if (slices.due) await slices.next();
      const before = turns.use(g.projectId, turnKey(g), g.traceId);
      let topicId: string | undefined;
      let peers = before?.peers ?? null;
      const question = readOf(g).text;
      const learns = before ? before.learns !== false : askedCounts.learns(g.projectId, question);
      const joined = before ? undefined : followedTopic(g);
      if (question.trim() !== '') {
        if (before) {
          // Already placed (another call of the turn, a re-scored trace, the
          // same span twice): keep its topic, under its current id, rather
          // than adding the question twice.
          topicId = clusterer.resolve(g.projectId, before.topicId) ?? before.topicId;
        } else if (joined !== undefined) {
          // Placed by what it follows, it has no nearness of its own (nor retrieval evidence).
          topicId = joined;
        } else {
          const app = supplied.get(g);
          const vector = embedded.get(g);
          // The question as read above: the clusterer takes it so rather than reading it again.
          const reading = readOf(g);
          let assigned: Assignment;
          try {
            assigned = app
              ? clusterer.assignDetailed(g.projectId, reading, app.vector, app.embedder)
              : vector && external
                ? clusterer.assignDetailed(g.projectId, reading, vector, external.id)
                : clusterer.assignDetailed(g.projectId, reading);
          } catch (error) {
            // A vector the clusterer refuses (zero, non-finite, another width
            // under the same name) costs this question its preferred space, not
            // the batch: it goes to the built-in embedder's.
            warn(
              `assign:${g.projectId}`,
              `topics: project ${g.projectId}: ${(error as Error).message}; using the built-in embedder`,
            );
            assigned = clusterer.assignDetailed(g.projectId, reading);
          }
          topicId = assigned.topicId;
          placed.place(g.projectId, question, topicId);
          peers = nearness.percentile(
            g.projectId,
            assigned.embedder,
            assigned.nearest,
            true,
            assigned.question,
            readOf(g).after,
          );
        }
        g.found.topicId = BigInt(topicId);
      }
      if (g.pair.answeredLater) {
        // A call on the way to the answer: the answer's trace says whether the knowledge base had it.
        if (!before && topicId !== undefined)
          turns.set(g.projectId, turnKey(g), { topicId, peers, learns }, g.traceId);
        continue;
      }

      const recorded = before?.gap;
      const first = recorded === undefined;
      const learn = first && learns;
      const asksAfter = readOf(g).followUp;
      const evidence =
        asksAfter && searchedNoSubject(g.retrievals) ? NO_RETRIEVAL : retrievalEvidence(g.retrievals);
      let retrieval: GapThresholds | undefined;
      if (evidence.topScore !== undefined) {
        retrieval = calibrator(g.projectId, evidence.scale).judge(evidence.topScore, peers, learn);
      }
      // Context relevance is how many of the question's own key words the documents say: a
      // follow-up's own words ("free") do not name what it asks about.
      const relevance = asksAfter ? undefined : g.found.contextRelevance;
      const judged = {
        ...thresholds,
        ...retrieval,
        contextRelevancePercentile:
          relevance === undefined ? null : relevances.percentile(g.projectId, relevance, learn),
      };
      const result = gapSignals(
        {
          documents: evidence.documents ?? null,
          topScore: evidence.topScore ?? null,
          contextRelevance: relevance ?? null,
          refusal: g.found.hedged === true ? true : (g.found.refusal ?? null),
          groundedness: g.found.groundedness ?? null,
        },
        judged,
      );
      if (result.kbGap !== null) {
        g.found.kbGap = result.kbGap;
        g.found.gapSignals = [...result.signals];
      }
      const own = ownGapScore(result, evidence.topScore, judged);
      if (topicId === undefined) {
        if (own !== null) g.found.kbGapScore = own;
        continue;
      }
      const gap = result.kbGap === true;
      if (first) {
        gaps.record(g.projectId, topicId, question, { ...result, score: own }, now().getTime());
        if (result.kbGap !== null) clusterer.gapsChanged(g.projectId, topicId);
      } else if (recorded !== gap) {
        gaps.regrade(g.projectId, topicId, gap ? 1 : -1);
        clusterer.gapsChanged(g.projectId, topicId);
      }
      // The score the kb-gaps eval ranks questions by: its own evidence and its topic's so far.
      if (own !== null) g.found.kbGapScore = topicInformedScore(own, gaps.meanScore(g.projectId, topicId));
      turns.set(g.projectId, turnKey(g), { topicId, gap, peers, learns }, g.traceId);
    }
    // Topics start small and merge (clusterer.ts): merging before the rows are
    // written keeps a burst of one subject under one id in llm_spans.
    const projects = new Set(asked.map((g) => g.projectId));
    if (projects.size > 0) {
      clusterer.maintain({ projects, flush: true });
      for (const g of asked) {
        if (g.found.topicId === undefined) continue;
        const id = clusterer.resolve(g.projectId, String(g.found.topicId));
        if (id !== undefined) g.found.topicId = BigInt(id);
      }
    }
    // A topic row carries its whole centroid and only its latest state counts: while more calls
    // of this flush follow, the changed topics keep accumulating for the last one to write.
    if (context?.more) return { rows: {} };
    return { rows: rowsToWrite(false) };
  }

  /**
   * The rows to write: those a failed write left, the changed topics whose rows are due, the
   * state tables when theirs is; `atStop`, everything that waits, as a clean stop writes it.
   */
  function rowsToWrite(atStop: boolean): Record<string, Row[]> {
    const out: Record<string, Row[]> = {};
    // Appended in place: copying the table's rows on every add would repeat the work per kind.
    const add = (table: string, list: readonly Row[]) => {
      if (list.length === 0) return;
      const into = out[table] ?? [];
      for (const row of list) into.push(row);
      out[table] = into;
    };
    // Rows a failed write left: older than this round's, so a newer row of the same key wins.
    for (const { table, rows } of unwritten.rows) add(table, rows);
    const at = now();
    const everyMs = atStop ? 0 : topicRowsEveryMs;
    add(TOPICS, clusterer.snapshot({ changedOnly: true, at, everyMs }) as unknown as Row[]);
    add(GAP_STATE, stateWriter.rows(at, atStop));
    add(EMBEDDER_STATE, embedderWriter.rows(at, atStop));
    add(TOPIC_VOCABULARY, vocabularyWriter.rows(at, atStop));
    unwritten.sent(out);
    return out;
  }

  const unwritten = new UnwrittenRows((dropped) =>
    warn(
      'unwritten',
      `topics: ${dropped} topics and state rows dropped after ClickHouse refused them ${UNWRITTEN_TRIES} times`,
    ),
  );

  return {
    name: 'topics',
    clusterer,
    gaps,
    restored: { restored, errors },
    enrich,
    heldBack: () => rowsToWrite(true),
    written: (ok, refused) => unwritten.written(ok, refused),
    async close() {
      await external?.close?.();
    },
  };
}

type TopicsConfig = Pick<
  Config,
  | 'topicsEmbedder'
  | 'topicsEmbedderUrl'
  | 'topicsEmbedderModel'
  | 'topicsEmbedderApiKey'
  | 'topicsEmbedderDir'
  | 'topicsEmbedderCache'
  | 'topicRowsEverySeconds'
>;

/** The embedder the collector's flags ask for; undefined for `none` (topics off). Throws one line on a missing flag. */
export function topicsEmbedderFromConfig(config: TopicsConfig): TopicsEmbedderConfig | undefined {
  switch (config.topicsEmbedder) {
    case 'none':
      return undefined;
    case 'hashed':
      return { kind: 'hashed' };
    case 'student':
      return { kind: 'student' };
    case 'use':
      return { kind: 'use' };
    case 'openai':
      if (!config.topicsEmbedderUrl || !config.topicsEmbedderModel)
        throw new Error('--topics-embedder openai needs --topics-embedder-url and --topics-embedder-model');
      return {
        kind: 'openai',
        baseURL: config.topicsEmbedderUrl,
        model: config.topicsEmbedderModel,
        ...(config.topicsEmbedderApiKey ? { apiKey: config.topicsEmbedderApiKey } : {}),
      };
    case 'onnx':
      if (!config.topicsEmbedderDir) throw new Error('--topics-embedder onnx needs --topics-embedder-dir');
      return { kind: 'onnx', dir: config.topicsEmbedderDir };
  }
}

/**
 * The enricher as the collector configures it, or undefined when topics are
 * off: `const topics = await topicsEnricherFromConfig(store, config)` in service.ts.
 */
export async function topicsEnricherFromConfig(
  store: Pick<Store, 'query' | 'database'>,
  config: TopicsConfig,
): Promise<TopicsEnricher | undefined> {
  const embedder = topicsEmbedderFromConfig(config);
  return embedder
    ? createTopicsEnricher({
        store,
        embedder,
        ...(config.topicsEmbedderCache !== undefined ? { embedderCache: config.topicsEmbedderCache } : {}),
        topicRowsEveryMs: config.topicRowsEverySeconds * 1000,
      })
    : undefined;
}

/** Refusals (rows ClickHouse rejects as data) after which kept rows are given up: they may be the fault. */
const UNWRITTEN_TRIES = 3;

/**
 * The rows the enricher last returned, until the trace stage says whether
 * they were written. A topic's row, a tombstone and a state row are each
 * produced once, when the topic or state changes (the clusterer marks them
 * written as it snapshots them), and the batch's traces come back as
 * re-scores that change nothing it remembers: rows of a failed write go out
 * again with the next rows instead.
 */
class UnwrittenRows {
  rows: { table: string; rows: Row[]; refusals: number }[] = [];
  private pending: { table: string; rows: Row[]; refusals: number }[] = [];
  private readonly onDrop: (rows: number) => void;

  constructor(onDrop: (rows: number) => void) {
    this.onDrop = onDrop;
  }

  /** What this round returned (the kept rows included): unconfirmed until `written`. */
  sent(out: Record<string, Row[]>): void {
    // A table's kept rows went out with its new ones: the new share their count of refusals.
    this.pending = Object.entries(out).map(([table, rows]) => ({
      table,
      rows,
      refusals: Math.max(0, ...this.rows.filter((r) => r.table === table).map((r) => r.refusals)),
    }));
    this.rows = [];
  }

  written(ok: boolean, refused = false): void {
    const pending = this.pending;
    this.pending = [];
    if (ok) return;
    let dropped = 0;
    for (const p of pending) {
      const refusals = p.refusals + (refused ? 1 : 0);
      if (refusals >= UNWRITTEN_TRIES) dropped += p.rows.length;
      else this.rows.push({ ...p, refusals });
    }
    if (dropped > 0) this.onDrop(dropped);
  }
}
