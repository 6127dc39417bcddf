/**
 * Runs scorers over labelled JSONL and reports precision, recall, F1 at the
 * shipped threshold, AUROC, and the false-positive rate on negatives; for PII
 * also recall per entity type. For the learned scorers, k-fold cross-validation
 * (grouped, so near-duplicates never straddle a split) gives the out-of-sample
 * figures; the shipped model's figures on its own training file are labelled
 * in-sample.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  createLinearScorer,
  jailbreakModel,
  type LinearModel,
  promptInjectionModel,
  refusalModel,
  scorers,
  TASK_SPECS,
  type TaskName,
  type TextScorer,
  toxicityModel,
} from '@oversight/scorers';
import { type EvalTask, type LabelledRow, readRows } from './dataset.ts';
import { assignFolds } from './folds.ts';
import { evaluateGroundedness, type GroundednessReport, isGroundednessFile } from './groundedness.ts';
import { type BinaryMetrics, binaryMetrics } from './metrics.ts';
import { isIntentSet } from './topics.ts';
import {
  auxiliaryNegatives,
  extraRows,
  handMadeRows,
  heldOutOrdinaryRows,
  isTrainableTask,
  TASK_THRESHOLDS,
  trainOnRows,
} from './train.ts';

export type EvalMode = 'shipped' | 'in-sample' | 'cv';

export interface EntityRecall {
  total: number;
  found: number;
  recall: number;
}

export interface EvalReport extends BinaryMetrics {
  task: EvalTask;
  file: string;
  /** `cv`: k-fold held-out scores; `in-sample`: shipped model on rows it was trained on; `shipped`: shipped scorer on other data. */
  mode: EvalMode;
  folds?: number;
  scorer: string;
  version: string;
  threshold: number;
  rows: number;
  positives: number;
  negatives: number;
  /**
   * Share of ordinary traffic (the held-out half of BANKING77: support questions,
   * none an attack or insult) the scorer flags; for CV rows, averaged over the fold models.
   */
  ordinaryFpr?: number;
  ordinaryRows?: number;
  /** PII only: gold spans found (any predicted span overlapping), by entity type. */
  perEntity?: Record<string, EntityRecall>;
  note?: string;
}

export interface SkippedSet {
  file: string;
  reason: string;
}

export interface EvaluateOptions {
  task: EvalTask;
  file: string;
  /** Overrides the scorer's shipped threshold. */
  threshold?: number;
  /** Number of cross-validation folds; absent or 0 scores with the shipped scorer. */
  cv?: number;
  /** Directory to borrow auxiliary negatives from when training folds (default: the data file's directory). */
  auxDir?: string;
  /** Ordinary-traffic texts to measure the false-positive rate on (see `heldOutOrdinaryRows`). */
  ordinary?: readonly string[];
  onProgress?: (message: string) => void;
}

const SCORER_FOR_TASK: Record<EvalTask, string> = {
  pii: 'pii',
  jailbreak: 'jailbreak',
  injection: 'prompt_injection',
  toxicity: 'toxicity',
  refusal: 'refusal',
};

function shippedScorer(task: EvalTask): TextScorer {
  const scorer = scorers[SCORER_FOR_TASK[task]];
  if (scorer === undefined) throw new Error(`no scorer registered for task ${task}`);
  return scorer;
}

function isInSample(task: EvalTask, file: string): boolean {
  if (!isTrainableTask(task)) return false;
  const meta = scorerModelMeta(task);
  const trainedOn = Array.isArray(meta.trainedOn) ? (meta.trainedOn as unknown[]) : [];
  return trainedOn.includes(basename(file));
}

function scorerModelMeta(task: TaskName): Record<string, unknown> {
  return SHIPPED_MODELS[task].meta;
}

const SHIPPED_MODELS: Record<TaskName, LinearModel> = {
  jailbreak: jailbreakModel,
  injection: promptInjectionModel,
  toxicity: toxicityModel,
  refusal: refusalModel,
};

function entityRecall(rows: readonly LabelledRow[], scorer: TextScorer): Record<string, EntityRecall> {
  const out: Record<string, EntityRecall> = {};
  for (const row of rows) {
    if (!row.spans || row.spans.length === 0) continue;
    const found = scorer.score(row.text).evidence.filter((e) => e.start !== undefined && e.end !== undefined);
    for (const span of row.spans) {
      const entry = out[span.entity_type] ?? { total: 0, found: 0, recall: 0 };
      entry.total++;
      if (found.some((e) => (e.start as number) < span.end && (e.end as number) > span.start)) entry.found++;
      out[span.entity_type] = entry;
    }
  }
  for (const e of Object.values(out)) e.recall = e.total > 0 ? e.found / e.total : 0;
  return out;
}

function report(
  base: Omit<
    EvalReport,
    | 'tp'
    | 'fp'
    | 'tn'
    | 'fn'
    | 'precision'
    | 'recall'
    | 'f1'
    | 'fpr'
    | 'auroc'
    | 'rows'
    | 'positives'
    | 'negatives'
  >,
  rows: readonly LabelledRow[],
  scores: readonly number[],
): EvalReport {
  const positives = rows.map((r) => r.positive);
  const m = binaryMetrics(scores, positives, base.threshold);
  const pos = positives.filter(Boolean).length;
  return { ...base, rows: rows.length, positives: pos, negatives: rows.length - pos, ...m };
}

export async function evaluateTask(options: EvaluateOptions): Promise<EvalReport> {
  const { task, file } = options;
  const rows = await readRows(file, task);
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  if (options.cv && options.cv > 1) {
    if (!isTrainableTask(task)) throw new Error(`cross-validation needs a trainable task, not ${task}`);
    return crossValidate(task, file, rows, options.cv, options);
  }
  const scorer = shippedScorer(task);
  const threshold = options.threshold ?? scorer.threshold;
  const scores = rows.map((r) => scorer.score(r.text).score);
  const inSample = isInSample(task, file);
  const r = report(
    {
      task,
      file,
      mode: inSample ? 'in-sample' : 'shipped',
      scorer: scorer.name,
      version: scorer.version,
      threshold,
    },
    rows,
    scores,
  );
  if (inSample) r.note = 'shipped model was trained on these rows: not evidence of accuracy';
  if (task === 'pii') r.perEntity = entityRecall(rows, scorer);
  if (options.ordinary && options.ordinary.length > 0) {
    r.ordinaryFpr = flaggedShare(options.ordinary, (t) => scorer.score(t).score >= threshold);
    r.ordinaryRows = options.ordinary.length;
  }
  return r;
}

async function crossValidate(
  task: TaskName,
  file: string,
  rows: LabelledRow[],
  k: number,
  options: EvaluateOptions,
): Promise<EvalReport> {
  const folds = assignFolds(rows, k);
  const extra = [
    ...(await extraRows(task)),
    ...(await auxiliaryNegatives(task, options.auxDir ?? dirname(file))),
  ];
  const threshold = options.threshold ?? TASK_THRESHOLDS[task];
  const scores = new Array<number>(rows.length).fill(0);
  const ordinary = options.ordinary ?? [];
  let ordinaryShare = 0;
  let version = '';
  for (let f = 0; f < k; f++) {
    const training = rows.filter((_, i) => folds[i] !== f);
    const model = trainOnRows(task, training, extra);
    const scorer = createLinearScorer(TASK_SPECS[task], model, { threshold });
    version = scorer.version.split('+')[0] ?? '';
    rows.forEach((r, i) => {
      if (folds[i] === f) scores[i] = scorer.score(r.text).score;
    });
    if (ordinary.length > 0) ordinaryShare += flaggedShare(ordinary, (t) => scorer.score(t).flagged) / k;
    options.onProgress?.(`${task}: fold ${f + 1}/${k} done`);
  }
  const r = report(
    {
      task,
      file,
      mode: 'cv',
      folds: k,
      scorer: TASK_SPECS[task].scorerName,
      version: `${version}+cv`,
      threshold,
    },
    rows,
    scores,
  );
  if (ordinary.length > 0) {
    r.ordinaryFpr = ordinaryShare;
    r.ordinaryRows = ordinary.length;
  }
  return r;
}

function flaggedShare(texts: readonly string[], flagged: (text: string) => boolean): number {
  let n = 0;
  for (const t of texts) if (flagged(t)) n++;
  return texts.length > 0 ? n / texts.length : Number.NaN;
}

const UNKNOWN_SET = { skip: 'unknown set' };
/** A set of another name whose rows are `{text, intent}` (`isIntentSet`). */
const TOPIC_SET = { skip: 'topics (and kb-gaps, given oos rows) tasks, reported below' };

/** Task for a file name in the eval directory, or why it is skipped. */
export function taskForFile(name: string): EvalTask | { skip: string } | undefined {
  if (!name.endsWith('.jsonl')) return undefined;
  if (name.startsWith('jailbreak.')) return 'jailbreak';
  if (name.startsWith('prompt-injection.') || name.startsWith('injection.')) return 'injection';
  if (name.startsWith('toxicity.')) return 'toxicity';
  if (name.startsWith('pii.')) return 'pii';
  if (name.startsWith('refusal.')) return 'refusal';
  if (isGroundednessFile(name)) return { skip: 'groundedness: reported in its own table' };
  if (name.startsWith('banking77'))
    return {
      skip: 'topics and kb-gaps tasks, reported below; its held-out half is the ordinary-traffic FPR column',
    };
  return UNKNOWN_SET;
}

export interface EvaluateAllResult {
  reports: EvalReport[];
  skipped: SkippedSet[];
  groundedness: GroundednessReport[];
}

/**
 * Every known set in `dir`, plus the package's own refusal set: cross-validated
 * (headline) and shipped/in-sample figures for learned scorers, shipped figures for PII.
 */
export async function evaluateAll(
  dir: string,
  options: { cv?: number; onProgress?: (message: string) => void } = {},
): Promise<EvaluateAllResult> {
  const k = options.cv ?? 5;
  const files = (await readdir(dir)).sort();
  const jobs: { task: EvalTask; file: string }[] = [];
  const skipped: SkippedSet[] = [];
  const groundedness: GroundednessReport[] = [];
  for (const name of files) {
    if (isGroundednessFile(name)) {
      options.onProgress?.(`evaluating ${name} (groundedness)`);
      groundedness.push(await evaluateGroundedness(join(dir, name)));
      continue;
    }
    let task = taskForFile(name);
    if (task === undefined) continue;
    if (task === UNKNOWN_SET && (await isIntentSet(join(dir, name)))) task = TOPIC_SET;
    if (typeof task === 'object') skipped.push({ file: name, reason: task.skip });
    else jobs.push({ task, file: join(dir, name) });
  }
  const ownRefusal = handMadeRows('refusal.jsonl');
  if (!jobs.some((j) => j.task === 'refusal') && ownRefusal !== undefined) {
    jobs.push({ task: 'refusal', file: ownRefusal });
  }
  const reports: EvalReport[] = [];
  const ordinary = (await heldOutOrdinaryRows(dir)).map((r) => r.text);
  for (const job of jobs) {
    options.onProgress?.(`evaluating ${basename(job.file)} (${job.task})`);
    if (isTrainableTask(job.task) && k > 1) {
      const cv = await evaluateTask({ ...job, cv: k, auxDir: dir, ordinary, onProgress: options.onProgress });
      if (job.file === ownRefusal) cv.note = 'our own hand-written set';
      reports.push(cv);
    }
    reports.push(await evaluateTask({ ...job, ordinary }));
  }
  return { reports, skipped, groundedness };
}
