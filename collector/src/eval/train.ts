/**
 * `oversight train <task> <file>`: trains a scorer's linear model from labelled
 * JSONL plus the package's hand-made rows for that task, and writes the model
 * JSON that `parseModel` reads.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type LabelledText,
  type LinearModel,
  SCORER_MODELS_DIR,
  serializeModel,
  TASK_SPECS,
  TASKS,
  type TaskName,
  type TrainOptions,
  trainLinearModel,
} from '@oversight/scorers';
import { z } from 'zod';
import { blendModels } from './blend.ts';
import { type LabelledRow, readRows } from './dataset.ts';
import { readJsonl } from './jsonl.ts';

/** Options used for the shipped models and for cross-validation alike. */
export const TRAIN_OPTIONS: TrainOptions = {
  bits: 18,
  epochs: 20,
  learningRate: 0.1,
  l2: 1e-5,
  seed: 1,
  threshold: 0.5,
};

export interface TaskTraining {
  options: TrainOptions;
  /** Weight of each borrowed ordinary-traffic row (BANKING77, HaluEval questions). */
  ordinaryWeight: number;
  /**
   * Share of a second model trained without any ordinary traffic, blended into
   * the one trained with it (0: none). See `blendModels`.
   */
  blendWithoutOrdinary: number;
}

/**
 * Per-task training, chosen by grouped 5-fold CV on the dev sets together with
 * the ordinary-traffic FPR (so, like the thresholds, slightly optimistic).
 * Jailbreak prompts are long and their n-grams memorise easily: a smaller step
 * and more L2 rank them better, and a 0.3 blend with the model that never saw
 * ordinary traffic recovers the recall ordinary negatives cost (CV F1 0.930 →
 * 0.952) while its ordinary FPR stays under 1 % (0.3 %).
 */
export const TASK_TRAINING: Record<TaskName, TaskTraining> = {
  jailbreak: {
    options: { ...TRAIN_OPTIONS, learningRate: 0.05, l2: 1e-4 },
    ordinaryWeight: 0.3,
    blendWithoutOrdinary: 0.3,
  },
  injection: { options: TRAIN_OPTIONS, ordinaryWeight: 0.2, blendWithoutOrdinary: 0 },
  toxicity: { options: TRAIN_OPTIONS, ordinaryWeight: 0.2, blendWithoutOrdinary: 0 },
  refusal: { options: TRAIN_OPTIONS, ordinaryWeight: 0.2, blendWithoutOrdinary: 0 },
};

/**
 * Shipped thresholds. Picked from the cross-validated scores of the dev sets
 * (0.35–0.5 grid, best F1 whose ordinary FPR stays under 1 %), so the CV F1 at
 * these thresholds is slightly optimistic. Injection: 0.4 (F1 0.922 at 0.4 vs
 * 0.921 at 0.35, and half the false alarms on hand-written everyday messages
 * that use command words); jailbreak 0.35; toxicity stays at 0.5, where its
 * dev-set FPR stays under 5 %.
 */
export const TASK_THRESHOLDS: Record<TaskName, number> = {
  jailbreak: 0.35,
  injection: 0.4,
  toxicity: 0.5,
  refusal: 0.5,
};

export function isTrainableTask(task: string): task is TaskName {
  return (TASKS as readonly string[]).includes(task);
}

const requireHere = createRequire(import.meta.url);

/**
 * Path of a file of hand-made rows in @oversight/tools (`data/<name>`). That
 * package is repo-only, so where the collector is installed without it, or the
 * file does not exist, there are no such rows: undefined.
 */
export function handMadeRows(name: string): string | undefined {
  try {
    return requireHere.resolve(`@oversight/tools/data/${name}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * The repo's own `{text, intent}` sets (`data/topics/` in @oversight/tools:
 * questions of many domains, plain, with greetings and thanks, with
 * typing slips, and with follow-ups), which `--all` clusters beside a directory's own sets;
 * undefined when not installed.
 */
export function handMadeTopicSets(): string | undefined {
  const file = handMadeRows('topics/chat-intents.jsonl');
  return file === undefined ? undefined : dirname(file);
}

/**
 * The repo's own off-topic questions (`data/off-topic.jsonl` in
 * @oversight/tools: general-knowledge and household questions no banking or
 * assistant set answers), which `--all` mixes into every set for both
 * tasks; undefined when not installed.
 */
export function handMadeOffTopic(): string | undefined {
  return handMadeRows('off-topic.jsonl');
}

/**
 * Whether the repo's hand-made rows are installed. A collector installed from
 * npm has none (training rows are never published): training and
 * cross-validation then use only the rows the user passes, and the CLI says so.
 */
export function handMadeRowsInstalled(): boolean {
  return handMadeRows('ordinary.jsonl') !== undefined;
}

export const NO_HAND_MADE_ROWS =
  'oversight: the hand-made training rows (@oversight/tools) ship only with the repository, not the npm package; training uses only the rows you pass (and --aux-dir)';

/** Hand-made rows for a task (`data/<task>.extra.jsonl` in @oversight/tools), empty when there are none. */
export async function extraRows(task: TaskName): Promise<LabelledRow[]> {
  const file = handMadeRows(`${task}.extra.jsonl`);
  return file === undefined ? [] : readRows(file, task);
}

/**
 * Negatives borrowed from the other tasks' sets in an eval directory: texts that
 * are plainly not what this scorer looks for, from other sources, so the model
 * does not learn that "you are" means injection or that any "I" means refusal.
 * Never the evaluated file itself, so cross-validation stays out of sample.
 */
const AUXILIARY: Record<
  TaskName,
  { file: string; task: 'jailbreak' | 'injection' | 'toxicity'; take: 'benign' | 'all' }[]
> = {
  // Measured: borrowed negatives cost injection and jailbreak recall in CV, so they get none.
  injection: [],
  jailbreak: [],
  toxicity: [],
  refusal: [
    { file: 'prompt-injection.dev.jsonl', task: 'injection', take: 'benign' },
    { file: 'jailbreak.dev.jsonl', task: 'jailbreak', take: 'benign' },
    { file: 'toxicity.dev.jsonl', task: 'toxicity', take: 'all' },
  ],
};
const AUXILIARY_PER_FILE = 200;
/** Borrowed rows nudge the model without outvoting the task's own data. */
const AUXILIARY_WEIGHT = 0.3;

/**
 * Ordinary traffic: messages people really send an LLM app (customer-support
 * questions from BANKING77, trivia questions from HaluEval, and the package's
 * hand-written everyday messages in `data/ordinary.jsonl`). None is an attack or
 * an insult, and without them the safety models learn that any short question,
 * any "you are" or any email address is suspicious, because the dev sets'
 * negatives are long role-play prompts and short German quiz questions.
 */
const ORDINARY_TASKS: readonly TaskName[] = ['injection', 'jailbreak', 'toxicity'];
const ORDINARY_BANKING = 'banking77.dev.jsonl';
const ORDINARY_QUESTIONS = 'halueval-qa.dev.jsonl';
/** Rows taken from each borrowed ordinary set, spread over the file. */
const ORDINARY_PER_FILE = 200;

/**
 * Whether a BANKING77 row belongs to the held-out half that measures the
 * ordinary-traffic false-positive rate; the other half may be trained on.
 * Decided by a hash of the row id, so it never depends on file order.
 */
export function isHeldOutOrdinary(id: string): boolean {
  return (createHash('sha256').update(`ordinary:${id}`).digest()[0] as number) % 2 === 0;
}

// These sets are used loosely (a field or two each); only the JSON itself is checked.
const looseObject = z.record(z.string(), z.unknown());

async function jsonlObjects(file: string): Promise<Record<string, unknown>[]> {
  return (await readJsonl(file, looseObject)).map(({ row }) => row);
}

function spread<T>(items: readonly T[], n: number): T[] {
  const step = Math.max(1, items.length / n);
  const out: T[] = [];
  for (let i = 0; i < items.length && out.length < n; i += step) out.push(items[Math.floor(i)] as T);
  return out;
}

/** The BANKING77 rows held out of training (the ordinary-traffic test set); empty when the file is absent. */
export async function heldOutOrdinaryRows(dir: string): Promise<{ id: string; text: string }[]> {
  const file = resolve(dir, ORDINARY_BANKING);
  if (!(await exists(file))) return [];
  return (await jsonlObjects(file))
    .map((o) => ({ id: String(o.id), text: String(o.text) }))
    .filter((r) => isHeldOutOrdinary(r.id));
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export async function ordinaryNegatives(task: TaskName, dir: string | undefined): Promise<LabelledRow[]> {
  if (!ORDINARY_TASKS.includes(task)) return [];
  const out: LabelledRow[] = [];
  const own = handMadeRows('ordinary.jsonl');
  if (own !== undefined) {
    // Hand-written and checked one by one, so they count in full.
    for (const r of await readRows(own, task)) out.push({ ...r, positive: false });
  }
  if (dir === undefined) return out;
  const banking = resolve(dir, ORDINARY_BANKING);
  if (await exists(banking)) {
    const rows = (await jsonlObjects(banking)).filter((o) => !isHeldOutOrdinary(String(o.id)));
    for (const o of spread(rows, ORDINARY_PER_FILE))
      out.push({ id: `ord:${String(o.id)}`, text: String(o.text), label: 'benign', positive: false });
  }
  const questions = resolve(dir, ORDINARY_QUESTIONS);
  if (await exists(questions)) {
    const seen = new Set<string>();
    const unique = (await jsonlObjects(questions)).filter((o) => {
      const q = String(o.question ?? '');
      if (q === '' || seen.has(q)) return false;
      seen.add(q);
      return true;
    });
    for (const o of spread(unique, ORDINARY_PER_FILE))
      out.push({ id: `ord:${String(o.id)}`, text: String(o.question), label: 'benign', positive: false });
  }
  return out;
}

export async function auxiliaryNegatives(task: TaskName, dir: string): Promise<LabelledRow[]> {
  const out: LabelledRow[] = [];
  for (const source of AUXILIARY[task]) {
    const file = resolve(dir, source.file);
    if (!(await exists(file))) continue;
    const rows = (await readRows(file, source.task)).filter((r) => source.take === 'all' || !r.positive);
    const step = Math.max(1, Math.floor(rows.length / AUXILIARY_PER_FILE));
    for (let i = 0; i < rows.length && out.length < AUXILIARY[task].length * AUXILIARY_PER_FILE; i += step) {
      const r = rows[i] as LabelledRow;
      out.push({ ...r, id: `aux:${r.id}`, positive: false });
    }
  }
  return [...out, ...(await ordinaryNegatives(task, dir))];
}

/** Hash of what determines a model: its rows, the rules that feed it, and how it was trained. */
export function modelVersion(task: TaskName, rows: readonly LabelledText[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(TASK_TRAINING[task]));
  hash.update(TASK_SPECS[task].hand.join('|'));
  for (const rule of TASK_SPECS[task].rules.rules) hash.update(`${rule.id}\t${rule.pattern}\n`);
  for (const r of rows) hash.update(`${r.positive ? 1 : 0}\t${r.weight ?? 1}\t${r.text}\n`);
  return `${task}-${hash.digest('hex').slice(0, 10)}`;
}

/** Whether a training row is ordinary traffic (borrowed or from `data/ordinary.jsonl`). */
function isOrdinary(row: LabelledRow): boolean {
  return row.id.startsWith('ord:') || row.id.startsWith('ordinary');
}

export function trainOnRows(
  task: TaskName,
  rows: readonly LabelledRow[],
  extra: readonly LabelledRow[],
  meta: Record<string, unknown> = {},
): LinearModel {
  const setup = TASK_TRAINING[task];
  const training: LabelledText[] = rows.map((r) => ({ text: r.text, positive: r.positive }));
  const withoutOrdinary = [...training];
  for (const r of extra) {
    const weight = r.id.startsWith('aux:')
      ? AUXILIARY_WEIGHT
      : r.id.startsWith('ord:')
        ? setup.ordinaryWeight
        : 1;
    training.push({ text: r.text, positive: r.positive, weight });
    if (!isOrdinary(r)) withoutOrdinary.push({ text: r.text, positive: r.positive, weight });
  }
  const fit = (subset: readonly LabelledText[]) =>
    trainLinearModel(task, subset, {
      ...setup.options,
      threshold: TASK_THRESHOLDS[task],
      version: modelVersion(task, training),
      meta: {
        ...meta,
        rows: rows.length,
        extraRows: extra.length,
        options: setup.options,
        ordinaryWeight: setup.ordinaryWeight,
        blendWithoutOrdinary: setup.blendWithoutOrdinary,
      },
    });
  const model = fit(training);
  if (setup.blendWithoutOrdinary <= 0) return model;
  return blendModels(fit(withoutOrdinary), model, setup.blendWithoutOrdinary);
}

export interface TrainCommandOptions {
  /** Directory of other labelled sets to borrow negatives from (see `auxiliaryNegatives`). */
  auxDir?: string;
}

/**
 * Where a trained model goes when no `--out` is given: over the shipped file in
 * a repo checkout, since retraining there means updating it; in the working
 * directory when the scorers package is an installed copy, which is not ours
 * to overwrite.
 */
export function defaultModelPath(task: TaskName): string {
  const shipped = fileURLToPath(new URL(`${task}.json`, SCORER_MODELS_DIR));
  return shipped.includes(`${sep}node_modules${sep}`) ? resolve(`${task}.model.json`) : shipped;
}

export async function train(
  task: string,
  file: string,
  out?: string,
  options: TrainCommandOptions = {},
): Promise<{ model: LinearModel; out: string }> {
  if (!isTrainableTask(task)) throw new Error(`unknown task ${task}; trainable: ${TASKS.join(', ')}`);
  const rows = await readRows(file, task);
  const extra = [
    ...(await extraRows(task)),
    ...(options.auxDir ? await auxiliaryNegatives(task, options.auxDir) : []),
  ];
  const model = trainOnRows(task, rows, extra, { trainedOn: [file.split('/').pop()] });
  const target = out !== undefined ? resolve(out) : defaultModelPath(task);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${JSON.stringify(serializeModel(model))}\n`);
  return { model, out: target };
}
