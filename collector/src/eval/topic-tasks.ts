/** The `topics` and `kb-gaps` eval tasks, for the eval dispatcher: run, find their sets in a directory, print. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UseEmbedder, UseEncoder } from '@oversight/scorers/embed';
import { BUILTIN_EMBEDDERS, DEFAULT_BUILTIN_EMBEDDER } from '../enrich/topics/clusterer.ts';
import {
  evaluateKbGapDraws,
  evaluateKbGaps,
  gapIntentsFor,
  type KbGapsReport,
  withOffTopic,
} from './kb-gaps.ts';
import type { Spread } from './metrics.ts';
import {
  evaluateTopicDraws,
  evaluateTopics,
  type IntentRow,
  isIntentSet,
  OFF_TOPIC_INTENT,
  type RowEmbedding,
  readIntentRows,
  type TopicsReport,
} from './topics.ts';

export const TOPIC_TASKS = ['topics', 'kb-gaps'] as const;
export type TopicTask = (typeof TOPIC_TASKS)[number];
export type TopicTaskReport = TopicsReport | KbGapsReport;

export function isTopicTask(task: string): task is TopicTask {
  return (TOPIC_TASKS as readonly string[]).includes(task);
}

/**
 * `--topics-embedder` of the eval: the collector's default (hashed n-grams
 * beside the student), the n-grams alone, or them beside USE-lite (`use`).
 */
export const EVAL_TOPICS_EMBEDDERS = ['student', 'hashed', 'use'] as const;
export type EvalTopicsEmbedder = (typeof EVAL_TOPICS_EMBEDDERS)[number];

export function evalTopicsEmbedder(kind: string | undefined): EvalTopicsEmbedder {
  if (kind === undefined) return 'student';
  if (!(EVAL_TOPICS_EMBEDDERS as readonly string[]).includes(kind))
    throw new Error(`--topics-embedder takes ${EVAL_TOPICS_EMBEDDERS.join(', ')} for the eval, got ${kind}`);
  return kind as EvalTopicsEmbedder;
}

/** Every distinct row text's raw USE-lite vector, encoded on the worker thread (≈ 10 ms a text). */
export async function encodeRows(
  rows: readonly IntentRow[],
  onProgress?: (message: string) => void,
): Promise<Map<string, Float32Array>> {
  // A follow-up's message as it was sent too: what an app that retrieves with it embeds.
  const texts = [...new Set(rows.flatMap((r) => (r.followed ? [r.text, r.followed.asked] : [r.text])))];
  onProgress?.(`encoding ${texts.length} texts with USE-lite (a worker thread, ≈ 10 ms each)`);
  const encoder = new UseEncoder();
  try {
    const t0 = performance.now();
    const vectors = await encoder.encode(texts);
    const ms = performance.now() - t0;
    onProgress?.(`encoded in ${(ms / 1000).toFixed(1)} s (${(ms / texts.length).toFixed(1)} ms a text)`);
    return new Map(texts.map((t, i) => [t, vectors[i] as Float32Array]));
  } finally {
    await encoder.close();
  }
}

/** Off-topic questions to mix into a set (`withOffTopic`), and what to call them in the report. */
export interface OffTopic {
  name: string;
  rows: readonly IntentRow[];
}

/** USE-lite vectors of a set's rows (and of the off-topic ones to mix in) for `use`; none for the others. */
async function useVectorsFor(
  embedder: EvalTopicsEmbedder,
  rows: readonly IntentRow[],
  offTopic: OffTopic | undefined,
  onProgress?: (message: string) => void,
): Promise<Map<string, Float32Array> | undefined> {
  if (embedder !== 'use') return undefined;
  return encodeRows(offTopic ? [...rows, ...offTopic.rows] : rows, onProgress);
}

/** `gapIntents`: kb-gaps' gaps instead of the protocol's (`gapIntentsFor`). */
function evaluate(
  task: TopicTask,
  rows: readonly IntentRow[],
  file: string,
  embedder: EvalTopicsEmbedder,
  useVectors: ReadonlyMap<string, Float32Array> | undefined,
  draws = 0,
  gapIntents?: ReadonlySet<string>,
): TopicTaskReport {
  const builtin = {
    builtinEmbedder: embedder === 'hashed' ? BUILTIN_EMBEDDERS.hashed : DEFAULT_BUILTIN_EMBEDDER,
  };
  if (task === 'kb-gaps') {
    const options = useVectors ? { useVectors } : builtin;
    const report = evaluateKbGaps(rows, file, { ...options, ...(gapIntents ? { gapIntents } : {}) });
    return draws > 0 ? { ...report, draws: evaluateKbGapDraws(rows, file, options, draws) } : report;
  }
  // In the rows' order through one embedder: each vector sees only the texts before it, as online.
  const embedding = useVectors
    ? (ordered: readonly IntentRow[]): RowEmbedding => {
        const use = new UseEmbedder();
        const vectors = ordered.map((r) => use.fromParts(r.text, useVectors.get(r.text) as Float32Array));
        return { id: use.id, vector: (_, i) => vectors[i] as Float32Array };
      }
    : undefined;
  const report = evaluateTopics(rows, file, builtin, embedding?.(rows));
  return draws > 0 ? { ...report, draws: evaluateTopicDraws(rows, draws, builtin, embedding) } : report;
}

/**
 * The same USE-lite vectors sent as an app's own query embeddings would be:
 * a space of a geometry the clusterer has no thresholds for, so it is
 * calibrated on its own baseline (CALIBRATED_TOPIC_THRESHOLDS). Each is the
 * vector of the message as the user sent it, as an app that retrieves with
 * it embeds it (a follow-up's names no subject). What an app that sends its
 * retrieval embeddings gets, measured on every eval run.
 */
function evaluateAsAppEmbeddings(
  rows: readonly IntentRow[],
  file: string,
  useVectors: ReadonlyMap<string, Float32Array>,
): TopicsReport {
  const vector = (r: IntentRow) => useVectors.get(r.followed?.asked ?? r.text) as Float32Array;
  return evaluateTopics(
    rows,
    file,
    {},
    { id: `app:${vector(rows[0] as IntentRow).length}`, vector, asSent: true },
  );
}

/**
 * A task on a set with off-topic questions mixed in (`withOffTopic`),
 * reported under "<file> + <off-topic name>". kb-gaps: its one gap intent
 * is theirs, and every intent of the set keeps its documents. topics: the
 * report's `inScope` says how the set's own rows clustered among them, and
 * how many of them joined a real topic.
 */
function evaluateOffTopic(
  task: TopicTask,
  rows: readonly IntentRow[],
  file: string,
  offTopic: OffTopic,
  embedder: EvalTopicsEmbedder,
  useVectors: ReadonlyMap<string, Float32Array> | undefined,
): TopicTaskReport {
  const mixed = withOffTopic(rows, offTopic.rows);
  const name = `${file} + ${offTopic.name}`;
  return evaluate(task, mixed, name, embedder, useVectors, 0, new Set([OFF_TOPIC_INTENT]));
}

export async function runTopicTask(
  task: TopicTask,
  file: string,
  embedder: EvalTopicsEmbedder = 'student',
  onProgress?: (message: string) => void,
  draws = 0,
  offTopic?: OffTopic,
): Promise<TopicTaskReport> {
  const rows = await readIntentRows(file);
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  const useVectors = await useVectorsFor(embedder, rows, offTopic, onProgress);
  if (offTopic) return evaluateOffTopic(task, rows, file, offTopic, embedder, useVectors);
  return evaluate(task, rows, file, embedder, useVectors, draws);
}

/**
 * Both tasks on every `{text, intent}` set of a directory, found by its rows
 * (`isIntentSet`), whatever its name, with each embedder asked for (the rows
 * are encoded once per set for `use`). A set with no gap intent (no `oos`,
 * not BANKING77) gets the topics task alone, and says so. With `offTopic`,
 * every set also gets both tasks with those questions mixed in
 * (`evaluateOffTopic`).
 */
export async function evaluateTopicSets(
  dir: string,
  onProgress?: (message: string) => void,
  embedders: readonly EvalTopicsEmbedder[] = EVAL_TOPICS_EMBEDDERS,
  draws = 0,
  offTopic?: OffTopic,
): Promise<TopicTaskReport[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
  const out: TopicTaskReport[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (!(await isIntentSet(file))) continue;
    const rows = await readIntentRows(file);
    if (rows.length === 0) throw new Error(`${file}: no rows`);
    const tasks = TOPIC_TASKS.filter((t) => t !== 'kb-gaps' || gapIntentsFor(file, rows).size > 0);
    if (tasks.length < TOPIC_TASKS.length)
      onProgress?.(`${name}: no gap intent (oos, or a BANKING77 file), so no kb-gaps task`);
    for (const embedder of embedders) {
      const useVectors = await useVectorsFor(embedder, rows, offTopic, onProgress);
      for (const task of tasks) {
        onProgress?.(`evaluating ${name} (${task}, ${embedder})`);
        out.push(evaluate(task, rows, file, embedder, useVectors, draws));
      }
      if (offTopic)
        for (const task of TOPIC_TASKS) {
          onProgress?.(`evaluating ${name} + ${offTopic.name} (${task}, ${embedder})`);
          out.push(evaluateOffTopic(task, rows, file, offTopic, embedder, useVectors));
        }
      if (useVectors) {
        onProgress?.(`evaluating ${name} (topics, USE-lite vectors as app embeddings)`);
        out.push(evaluateAsAppEmbeddings(rows, file, useVectors));
      }
    }
  }
  return out;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const spread3 = (s: Spread) => `${f3(s.mean)} ± ${f3(s.sd)} (${f3(s.min)}–${f3(s.max)})`;

export function formatTopicReports(reports: readonly TopicTaskReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.task === 'topics') {
      lines.push(
        `topics   ${r.file}: ${r.rows} questions, NMI ${f3(r.nmi)}, ARI ${f3(r.ari)}, ` +
          `${r.topics} topics for ${r.intents} intents (${r.topicsPerIntent.toFixed(2)}×), ` +
          `singleton topics ${(r.singletonShare * 100).toFixed(1)}% (${r.embedder}, online, k not given)`,
      );
      if (r.inScope)
        lines.push(
          `         in scope (the ${r.rows - r.inScope.rows} oos rows clustered too, not scored): NMI ${f3(r.inScope.nmi)}, ` +
            `ARI ${f3(r.inScope.ari)}, ${r.inScope.topics} topics for ${r.inScope.intents} intents ` +
            `(${r.inScope.topicsPerIntent.toFixed(2)}×); oos rows in an in-scope topic ${(r.inScope.offTopicInInScope * 100).toFixed(1)}%`,
        );
      if (r.draws)
        lines.push(
          `         other orders, ${r.draws.draws} seeded shuffles: NMI ${spread3(r.draws.nmi)}, ` +
            `ARI ${spread3(r.draws.ari)}, topics per intent ${spread3(r.draws.topicsPerIntent)}`,
        );
    } else {
      lines.push(
        `kb-gaps  ${r.file}: ${r.documents} documents, ${r.questions} questions (${r.gapQuestions} gap), ` +
          `gap AUROC ${f3(r.auroc)} (with the documents' text ${f3(r.aurocWithText)}; alone: retrieval ${f3(r.signalAuroc.retrieval)}, context relevance ` +
          `${f3(r.signalAuroc.contextRelevance)}, both ${f3(r.signalAuroc.retrievalAndRelevance)}, topic ${f3(r.signalAuroc.topic)}), top-${r.k} topic precision ${f3(r.topicPrecision)}, ` +
          `flagged ${(r.flaggedRate * 100).toFixed(1)}% (gap recall ${(r.gapRecall * 100).toFixed(1)}%, ` +
          `non-gap flagged ${(r.falseGapRate * 100).toFixed(1)}%) (${r.embedder})`,
      );
      if (r.draws)
        lines.push(
          `         other gap intents, ${r.draws.draws} seeded draws of ${r.draws.gapIntents}: ` +
            `gap AUROC ${spread3(r.draws.auroc)}, topic alone ${spread3(r.draws.topicAuroc)}, ` +
            // k as each run's protocol sets it (with oos, the topics whose majority is oos).
            `top-k topic precision ${spread3(r.draws.topicPrecision)}`,
        );
    }
  }
  return lines.join('\n');
}
