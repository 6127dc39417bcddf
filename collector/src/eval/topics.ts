/**
 * `oversight eval --task topics`: rows `{text, intent}` streamed in file order
 * through the online clusterer (one project, built-in embedder, not told how
 * many intents there are), scored against the intents.
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

export function clusterRows(rows: readonly IntentRow[], options: ClustererOptions = {}, projectId = 'eval') {
  const clusterer = new TopicClusterer(options);
  const ids = rows.map((r) => clusterer.assign(projectId, r.text));
  clusterer.maintain({ final: true });
  // Merges rename topics after the fact; resolve every question to its final topic.
  const final = ids.map((id) => clusterer.resolve(projectId, id) ?? id);
  return { clusterer, topicIds: final };
}

export function evaluateTopics(
  rows: readonly IntentRow[],
  file = 'input',
  options: ClustererOptions = {},
): TopicsReport {
  const { clusterer, topicIds } = clusterRows(rows, options);
  const gold = rows.map((r) => r.intent);
  const sizes = new Map<string, number>();
  for (const id of topicIds) sizes.set(id, (sizes.get(id) ?? 0) + 1);
  const singletons = [...sizes.values()].filter((c) => c === 1).length;
  const intents = new Set(gold).size;
  return {
    task: 'topics',
    file,
    rows: rows.length,
    nmi: nmi(topicIds, gold),
    ari: ari(topicIds, gold),
    topics: sizes.size,
    intents,
    topicsPerIntent: sizes.size / Math.max(1, intents),
    singletonShare: sizes.size > 0 ? singletons / sizes.size : 0,
    singletonQuestions: rows.length > 0 ? singletons / rows.length : 0,
    embedder: clusterer.topics('eval')[0]?.embedder ?? 'none',
  };
}
