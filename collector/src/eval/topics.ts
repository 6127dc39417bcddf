/**
 * `oversight eval --task topics`: rows `{text, intent}` streamed in file order
 * through the online clusterer (one project, not told how many intents there
 * are), scored against the intents. The vectors are the clusterer's built-in
 * embedder's, or a `RowEmbedding` the caller computed (topic-tasks.ts: USE).
 */
import { z } from 'zod';
import { type ClustererOptions, TopicClusterer } from '../enrich/topics/clusterer.ts';
import { ari, nmi } from './cluster-metrics.ts';
import { parseJsonl, readJsonl } from './jsonl.ts';

export interface IntentRow {
  text: string;
  intent: string;
}

const intentRowSchema = z.object({ text: z.string(), intent: z.string().min(1) });

export function parseIntentRows(content: string, source = 'input'): IntentRow[] {
  return parseJsonl(content, intentRowSchema, source).map(({ row }) => ({
    text: row.text,
    intent: row.intent,
  }));
}

export async function readIntentRows(file: string): Promise<IntentRow[]> {
  return (await readJsonl(file, intentRowSchema)).map(({ row }) => ({ text: row.text, intent: row.intent }));
}

export interface TopicsReport {
  task: 'topics';
  file: string;
  rows: number;
  nmi: number;
  ari: number;
  topics: number;
  intents: number;
  /** Topics per intent; the goal is ≤ 2. */
  topicsPerIntent: number;
  /** Share of topics with a single question. */
  singletonShare: number;
  /** Share of questions that sit in a singleton topic. */
  singletonQuestions: number;
  embedder: string;
}

/** An embedding the caller computed for each row, under its embedder id (else the clusterer's built-in one). */
export interface RowEmbedding {
  id: string;
  vector: (row: IntentRow, index: number) => ArrayLike<number>;
}

export function clusterRows(
  rows: readonly IntentRow[],
  options: ClustererOptions = {},
  projectId = 'eval',
  embedding?: RowEmbedding,
) {
  const clusterer = new TopicClusterer(options);
  const ids = rows.map((r, i) => clusterer.assign(projectId, r.text, embedding?.vector(r, i), embedding?.id));
  clusterer.maintain({ final: true });
  // Merges rename topics after the fact; resolve every question to its final topic.
  const final = ids.map((id) => clusterer.resolve(projectId, id) ?? id);
  return { clusterer, topicIds: final };
}

/** How a partition of the rows compares with their intents. */
export function partitionFigures(topicIds: readonly string[], rows: readonly IntentRow[]) {
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
  return {
    task: 'topics',
    file,
    rows: rows.length,
    ...partitionFigures(topicIds, rows),
    singletonShare: sizes.size > 0 ? singletons / sizes.size : 0,
    singletonQuestions: rows.length > 0 ? singletons / rows.length : 0,
    embedder: clusterer.topics('eval')[0]?.embedder ?? 'none',
  };
}
