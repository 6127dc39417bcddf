/**
 * `oversight eval --task topics`: rows `{text, intent[, earlier]}` streamed in file order
 * through the online clusterer (one project, not told how many intents there
 * are), scored against the intents. The vectors are the collector's default
 * built-in embedder's (the student) unless the options name another, or a
 * `RowEmbedding` the caller computed (topic-tasks.ts: USE).
 */
import { open } from 'node:fs/promises';
import { seededRandom } from '@oversight/scorers';
import { type QuestionReading, questionReading } from '@oversight/scorers/embed';
import { z } from 'zod';
import {
  type ClustererOptions,
  DEFAULT_BUILTIN_EMBEDDER,
  TopicClusterer,
} from '../enrich/topics/clusterer.ts';
import { PlacedQuestions } from '../enrich/topics/recent-questions.ts';
import { ari, nmi } from './cluster-metrics.ts';
import { parseJsonl, readJsonl } from './jsonl.ts';
import { type Spread, spread } from './metrics.ts';

export interface IntentRow {
  text: string;
  intent: string;
  /**
   * A row read here (it came with `earlier`): the reading `text` is the text
   * of, which the clusterer takes as read rather than reading it again.
   */
  reading?: QuestionReading;
  /**
   * A row read as a follow-up (after an earlier message, as `text` is): the
   * message as the user sent it, which an app that retrieves with it embeds,
   * and the earlier message it was read after (`QuestionReading.after`).
   */
  followed?: { asked: string; after: string };
}

/**
 * `earlier`, optional: the user's message before `text` in its conversation,
 * or its messages before it, the latest first, as pairing keeps them. Such a
 * row is read as the collector reads a follow-up (`questionText`: after the
 * latest earlier message that names a subject, when it names none itself),
 * and the row's text is what topics read.
 */
const intentRowSchema = z.object({
  text: z.string(),
  intent: z.string().min(1),
  earlier: z.union([z.string(), z.array(z.string())]).optional(),
});

function asRow({ text, intent, earlier }: z.infer<typeof intentRowSchema>): IntentRow {
  if (earlier === undefined) return { text, intent };
  const reading = questionReading(text, earlier);
  const { text: read, after } = reading;
  return after === undefined
    ? { text: read, intent, reading }
    : { text: read, intent, reading, followed: { asked: text, after } };
}

export function parseIntentRows(content: string, source = 'input'): IntentRow[] {
  return parseJsonl(content, intentRowSchema, source).map(({ row }) => asRow(row));
}

/**
 * Whether a JSONL file holds `{text, intent}` rows, judged by its first row:
 * how `--all` finds topic sets by their content, whatever they are named.
 */
export async function isIntentSet(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    // The first row of a set is a short question; 64 KiB holds it with room to spare.
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0);
    const first = buffer
      .toString('utf8', 0, bytesRead)
      .split('\n')
      .find((l) => l.trim() !== '');
    if (first === undefined) return false;
    try {
      return intentRowSchema.safeParse(JSON.parse(first)).success;
    } catch (err) {
      if (err instanceof SyntaxError) return false;
      throw err;
    }
  } finally {
    await handle.close();
  }
}

export async function readIntentRows(file: string): Promise<IntentRow[]> {
  return (await readJsonl(file, intentRowSchema)).map(({ row }) => asRow(row));
}

/** How a partition of rows compares with their intents (`partitionFigures`). */
export interface PartitionFigures {
  nmi: number;
  ari: number;
  topics: number;
  intents: number;
  /** Topics per intent; the goal is ≤ 2. */
  topicsPerIntent: number;
}

export interface TopicsReport extends PartitionFigures {
  task: 'topics';
  file: string;
  rows: number;
  /** Share of topics with a single question. */
  singletonShare: number;
  /** Share of questions that sit in a singleton topic. */
  singletonQuestions: number;
  embedder: string;
  /** With `oos` rows: the figures over the other rows (`inScopeFigures`). */
  inScope?: InScopeFigures;
  /** The same rows in other orders (`--draws`). */
  draws?: TopicsDraws;
}

/** The intent of questions outside every intent of a set (the eval README's `oos`). */
export const OFF_TOPIC_INTENT = 'oos';

/**
 * A set's in-scope rows, clustered among all of them as a collector would:
 * `oos` is no intent but their absence, so its rows landing in many small
 * topics is right, and scoring them as one intent would count that as
 * over-splitting. Beside the headline, which takes the rows as the file
 * names them.
 */
export interface InScopeFigures extends PartitionFigures {
  rows: number;
  /** Share of the `oos` rows in a topic whose majority is an in-scope intent: off-topic questions mixed into real topics. */
  offTopicInInScope: number;
}

export function inScopeFigures(
  topicIds: readonly string[],
  rows: readonly IntentRow[],
): InScopeFigures | undefined {
  const inScope = rows.flatMap((r, i) => (r.intent === OFF_TOPIC_INTENT ? [] : [i]));
  const offTopic = rows.length - inScope.length;
  if (offTopic === 0 || inScope.length === 0) return undefined;
  const counts = new Map<string, Map<string, number>>();
  rows.forEach((r, i) => {
    const id = topicIds[i] as string;
    const c = counts.get(id) ?? new Map<string, number>();
    c.set(r.intent, (c.get(r.intent) ?? 0) + 1);
    counts.set(id, c);
  });
  const majority = (id: string) =>
    [...(counts.get(id) as Map<string, number>)].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const mixed = rows.filter(
    (r, i) => r.intent === OFF_TOPIC_INTENT && majority(topicIds[i] as string) !== OFF_TOPIC_INTENT,
  );
  return {
    rows: inScope.length,
    ...partitionFigures(
      inScope.map((i) => topicIds[i] as string),
      inScope.map((i) => rows[i] as IntentRow),
    ),
    offTopicInInScope: mixed.length / offTopic,
  };
}

/**
 * The clustering's spread over seeded shuffles of the rows' order. The
 * clusterer is online: which questions found topics, and which merges are
 * made early, follow the order questions arrive in, and the file's order is
 * one of many a collector could see.
 */
export interface TopicsDraws {
  draws: number;
  seed: number;
  nmi: Spread;
  ari: Spread;
  topicsPerIntent: Spread;
}

/** Seed of the order draws: fixed, so every run and every embedder sees the same orders. */
export const ORDER_DRAW_SEED = 20261205;

/** An embedding the caller computed for each row, under its embedder id (else the clusterer's built-in one). */
export interface RowEmbedding {
  id: string;
  vector: (row: IntentRow, index: number) => ArrayLike<number>;
  /**
   * The vectors are of each message as the user sent it, as an app embeds its
   * retrieval query: a follow-up's names no subject, so it joins the topic of
   * the question it follows, as in the collector (`PlacedQuestions`).
   */
  asSent?: boolean;
}

/** Options as the collector's: its default built-in embedder, the student, unless `options` name one. */
const asCollector = (options: ClustererOptions): ClustererOptions => ({
  builtinEmbedder: DEFAULT_BUILTIN_EMBEDDER,
  ...options,
});

/** The rows through one clusterer, in order; each row's final topic (after merges). */
export function clusterRows(
  rows: readonly IntentRow[],
  options: ClustererOptions = {},
  projectId = 'eval',
  embedding?: RowEmbedding,
) {
  const clusterer = new TopicClusterer(asCollector(options));
  const placed = new PlacedQuestions();
  const resolve = (project: string, topicId: string) => clusterer.resolve(project, topicId);
  const ids = rows.map((r, i) => {
    if (embedding?.asSent && r.followed) {
      // Or, once the question it follows is no longer known, the built-in embedder reads it.
      return (
        placed.topicOf(projectId, r.followed.after, resolve) ??
        clusterer.assign(projectId, r.reading ?? r.text)
      );
    }
    const id = clusterer.assign(projectId, r.reading ?? r.text, embedding?.vector(r, i), embedding?.id);
    placed.place(projectId, r.text, id);
    return id;
  });
  clusterer.maintain({ final: true });
  // Merges rename topics after the fact; resolve every question to its final topic.
  const final = ids.map((id) => clusterer.resolve(projectId, id) ?? id);
  return { clusterer, topicIds: final };
}

/** How a partition of the rows compares with their intents. */
export function partitionFigures(topicIds: readonly string[], rows: readonly IntentRow[]): PartitionFigures {
  const gold = rows.map((r) => r.intent);
  const topics = new Set(topicIds).size;
  const intents = new Set(gold).size;
  return {
    nmi: nmi(topicIds, gold),
    ari: ari(topicIds, gold),
    topics,
    intents,
    topicsPerIntent: topics / Math.max(1, intents),
  };
}

export function evaluateTopics(
  rows: readonly IntentRow[],
  file = 'input',
  options: ClustererOptions = {},
  embedding?: RowEmbedding,
): TopicsReport {
  const { clusterer, topicIds } = clusterRows(rows, options, 'eval', embedding);
  const sizes = new Map<string, number>();
  for (const id of topicIds) sizes.set(id, (sizes.get(id) ?? 0) + 1);
  const singletons = [...sizes.values()].filter((c) => c === 1).length;
  const inScope = inScopeFigures(topicIds, rows);
  return {
    task: 'topics',
    file,
    rows: rows.length,
    ...partitionFigures(topicIds, rows),
    singletonShare: sizes.size > 0 ? singletons / sizes.size : 0,
    singletonQuestions: rows.length > 0 ? singletons / rows.length : 0,
    embedder: clusterer.topics('eval')[0]?.embedder ?? 'none',
    ...(inScope ? { inScope } : {}),
  };
}

/** `draws` seeded shuffles of `rows` (Fisher–Yates). */
export function shuffledOrders<R>(rows: readonly R[], draws: number, seed = ORDER_DRAW_SEED): R[][] {
  const random = seededRandom(seed);
  return Array.from({ length: draws }, () => {
    const order = [...rows];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as R, order[i] as R];
    }
    return order;
  });
}

/**
 * The rows clustered in `draws` seeded orders, each as `evaluateTopics`.
 * `embedding` gives the vectors for one order (an online embedder's state
 * follows the order it sees); without it the collector's built-in embedder.
 */
export function evaluateTopicDraws(
  rows: readonly IntentRow[],
  draws: number,
  options: ClustererOptions = {},
  embedding?: (ordered: readonly IntentRow[]) => RowEmbedding,
  seed = ORDER_DRAW_SEED,
): TopicsDraws {
  if (!Number.isInteger(draws) || draws < 1) throw new Error(`draws must be an integer ≥ 1, got ${draws}`);
  const runs = shuffledOrders(rows, draws, seed).map((ordered) =>
    partitionFigures(clusterRows(ordered, options, 'eval', embedding?.(ordered)).topicIds, ordered),
  );
  return {
    draws,
    seed,
    nmi: spread(runs.map((r) => r.nmi)),
    ari: spread(runs.map((r) => r.ari)),
    topicsPerIntent: spread(runs.map((r) => r.topicsPerIntent)),
  };
}
