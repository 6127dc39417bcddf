/**
 * `oversight eval --task groundedness`: the groundedness scorer on rows
 * {question, context, answer, label} (positive label `hallucinated`). Besides
 * the usual metrics it reports the length-matched AUROC: only positive/negative
 * pairs whose answers differ in length by at most 10 %, because on some sets
 * (HaluEval) answer length alone separates the classes.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { GROUNDEDNESS_THRESHOLD, GROUNDEDNESS_VERSION, groundedness } from '@oversight/scorers';
import { z } from 'zod';
import { fixed, METRIC_HEADER, metricCells, tableLines } from './format.ts';
import { parseJsonl } from './jsonl.ts';
import { type BinaryMetrics, binaryMetrics } from './metrics.ts';

export const GROUNDEDNESS_TASK = 'groundedness';
const POSITIVE = 'hallucinated';

const rowSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  question: z.string().default(''),
  context: z.union([z.string(), z.array(z.string())]),
  answer: z.string(),
  label: z.string(),
});

export interface GroundednessRow {
  id: string;
  question: string;
  context: string | string[];
  answer: string;
  positive: boolean;
}

export interface GroundednessReport extends BinaryMetrics {
  task: typeof GROUNDEDNESS_TASK;
  file: string;
  scorer: string;
  version: string;
  /** Hallucination score (1 − groundedness) at or above which a row is flagged. */
  threshold: number;
  rows: number;
  positives: number;
  negatives: number;
  /** AUROC over positive/negative pairs whose answer lengths differ by ≤ 10 %. */
  lengthMatchedAuroc: number;
  lengthMatchedPairs: number;
  /** Rows the scorer called refusals (never flagged). */
  refusals: number;
  msPerRow: number;
}

export function parseGroundednessRows(content: string, source = 'input'): GroundednessRow[] {
  return parseJsonl(content, rowSchema, source).map(({ line, row: r }) => ({
    id: String(r.id ?? line),
    question: r.question,
    context: r.context,
    answer: r.answer,
    positive: r.label === POSITIVE,
  }));
}

/** Mann–Whitney AUROC restricted to pairs whose answer lengths are within `tolerance` of each other. */
export function lengthMatchedAuroc(
  scores: readonly number[],
  positives: readonly boolean[],
  lengths: readonly number[],
  tolerance = 0.1,
): { auroc: number; pairs: number } {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positives[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positives[j]) continue;
      const a = lengths[i] as number;
      const b = lengths[j] as number;
      if (Math.abs(a - b) > tolerance * Math.max(a, b)) continue;
      pairs++;
      const d = (scores[i] as number) - (scores[j] as number);
      wins += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    }
  }
  return { auroc: pairs > 0 ? wins / pairs : Number.NaN, pairs };
}

export function evaluateGroundednessRows(
  rows: readonly GroundednessRow[],
  file: string,
  options: { threshold?: number } = {},
): GroundednessReport {
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  // The scorer's threshold is on groundedness (flag below it); the report's is on its complement.
  const threshold = options.threshold ?? 1 - GROUNDEDNESS_THRESHOLD;
  const scores: number[] = [];
  let refusals = 0;
  const started = performance.now();
  for (const r of rows) {
    const g = groundedness(r.answer, r.context, { question: r.question });
    if (g.refusal) refusals++;
    scores.push(1 - g.score);
  }
  const msPerRow = (performance.now() - started) / rows.length;
  const positives = rows.map((r) => r.positive);
  const matched = lengthMatchedAuroc(
    scores,
    positives,
    rows.map((r) => r.answer.length),
  );
  const pos = positives.filter(Boolean).length;
  return {
    task: GROUNDEDNESS_TASK,
    file,
    scorer: 'groundedness',
    version: GROUNDEDNESS_VERSION,
    threshold,
    rows: rows.length,
    positives: pos,
    negatives: rows.length - pos,
    ...binaryMetrics(scores, positives, threshold),
    lengthMatchedAuroc: matched.auroc,
    lengthMatchedPairs: matched.pairs,
    refusals,
    msPerRow,
  };
}

export async function evaluateGroundedness(
  file: string,
  options: { threshold?: number } = {},
): Promise<GroundednessReport> {
  const rows = parseGroundednessRows(await readFile(file, 'utf8'), file);
  return evaluateGroundednessRows(rows, file, options);
}

export function isGroundednessFile(name: string): boolean {
  return name.endsWith('.jsonl') && (name.startsWith('halueval') || name.startsWith('summedits'));
}

export function formatGroundednessTable(reports: readonly GroundednessReport[]): string {
  const header = ['task', 'data', 'rows', 'pos', 'thr', ...METRIC_HEADER, 'lenAUROC', 'pairs', 'ms/row'];
  const body = reports.map((r) => [
    r.task,
    basename(r.file),
    String(r.rows),
    String(r.positives),
    String(r.threshold),
    ...metricCells(r),
    fixed(r.lengthMatchedAuroc),
    String(r.lengthMatchedPairs),
    r.msPerRow.toFixed(2),
  ]);
  return [
    ...tableLines(header, body, 2),
    '',
    `Positive label: hallucinated; flagged when 1 − groundedness ≥ thr. lenAUROC: AUROC over the pairs whose answers differ in length by ≤ 10 % (pairs counted).`,
  ].join('\n');
}
