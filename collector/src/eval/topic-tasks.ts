/** The `topics` and `kb-gaps` eval tasks, for the eval dispatcher: run, find their sets in a directory, print. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateKbGaps, type KbGapsReport } from './kb-gaps.ts';
import { evaluateTopics, readIntentRows, type TopicsReport } from './topics.ts';

export const TOPIC_TASKS = ['topics', 'kb-gaps'] as const;
export type TopicTask = (typeof TOPIC_TASKS)[number];
export type TopicTaskReport = TopicsReport | KbGapsReport;

export function isTopicTask(task: string): task is TopicTask {
  return (TOPIC_TASKS as readonly string[]).includes(task);
}

export async function runTopicTask(task: TopicTask, file: string): Promise<TopicTaskReport> {
  const rows = await readIntentRows(file);
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  return task === 'topics' ? evaluateTopics(rows, file) : evaluateKbGaps(rows, file);
}

/** Both tasks on every `{text, intent}` set of a directory (today: banking77.*.jsonl). */
export async function evaluateTopicSets(
  dir: string,
  onProgress?: (message: string) => void,
): Promise<TopicTaskReport[]> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('banking77') && f.endsWith('.jsonl')).sort();
  const out: TopicTaskReport[] = [];
  for (const name of files) {
    for (const task of TOPIC_TASKS) {
      onProgress?.(`evaluating ${name} (${task})`);
      out.push(await runTopicTask(task, join(dir, name)));
    }
  }
  return out;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

export function formatTopicReports(reports: readonly TopicTaskReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.task === 'topics') {
      lines.push(
        `topics   ${r.file}: ${r.rows} questions, NMI ${f3(r.nmi)}, ARI ${f3(r.ari)}, ` +
          `${r.topics} topics for ${r.intents} intents (${r.topicsPerIntent.toFixed(2)}×), ` +
          `singleton topics ${(r.singletonShare * 100).toFixed(1)}% (${r.embedder}, online, k not given)`,
      );
    } else {
      lines.push(
        `kb-gaps  ${r.file}: ${r.documents} documents, ${r.questions} questions (${r.gapQuestions} gap), ` +
          `gap AUROC ${f3(r.auroc)} (alone: retrieval ${f3(r.signalAuroc.retrieval)}, context relevance ` +
          `${f3(r.signalAuroc.contextRelevance)}, both ${f3(r.signalAuroc.retrievalAndRelevance)}, topic ${f3(r.signalAuroc.topic)}), top-${r.k} topic precision ${f3(r.topicPrecision)}, ` +
          `flagged ${(r.flaggedRate * 100).toFixed(1)}% (gap recall ${(r.gapRecall * 100).toFixed(1)}%, ` +
          `non-gap flagged ${(r.falseGapRate * 100).toFixed(1)}%)`,
      );
    }
  }
  return lines.join('\n');
}
