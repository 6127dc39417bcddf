/**
 * The `eval` and `train` subcommands, for the CLI to mount:
 *   oversight eval --task <t> --data <file> [--json] [--cv [k]] [--threshold x]
 *   oversight eval --all <dir> [--json] [--cv k] [--off-topic <file>]
 *   oversight eval --task feedback-agreement [--project p] [--by model,topic] [--json]  (reads the store)
 *   oversight train <task> <file> [--out path] [--aux-dir dir]
 */
import { readdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { EVAL_TASKS, type EvalTask, readRows } from './dataset.ts';
import { evaluateAll, evaluateTask } from './evaluate.ts';
import {
  AGREEMENT_GROUPS,
  type AgreementGroup,
  feedbackAgreement,
  formatAgreementTable,
} from './feedback-agreement.ts';
import { formatReportJson, formatReportTable } from './format.ts';
import { evaluateGroundedness, formatGroundednessTable, GROUNDEDNESS_TASK } from './groundedness.ts';
import { readJsonl } from './jsonl.ts';
import {
  evalTopicsEmbedder,
  evaluateTopicSets,
  formatTopicReports,
  isTopicTask,
  type OffTopic,
  runTopicTask,
  TOPIC_TASKS,
  type TopicTaskReport,
} from './topic-tasks.ts';
import { OFF_TOPIC_INTENT } from './topics.ts';
import {
  handMadeOffTopic,
  handMadeRowsInstalled,
  handMadeTopicSets,
  isTrainableTask,
  NO_HAND_MADE_ROWS,
  train,
} from './train.ts';

interface EvalFlags {
  task?: string;
  data?: string;
  all?: string;
  json?: boolean;
  cv?: string | boolean;
  threshold?: string;
  project?: string;
  by?: string;
  topicsEmbedder?: string;
  draws?: string;
  offTopic?: string;
}

/** Not a labelled-set task: it scores the scorers against users' feedback in a store. */
export const FEEDBACK_AGREEMENT_TASK = 'feedback-agreement';

function parseBy(by: string | undefined): AgreementGroup[] {
  if (by === undefined) return [];
  return by.split(',').map((g) => {
    const name = g.trim();
    if (!(AGREEMENT_GROUPS as readonly string[]).includes(name))
      throw new Error(`--by takes ${AGREEMENT_GROUPS.join(', ')} (comma-separated), got ${name}`);
    return name as AgreementGroup;
  });
}

function integerFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer ≥ ${min}, got ${value}`);
  return n;
}

/** `--threshold`: scores are 0-1, and NaN would compare false with every one, reported as real figures. */
function thresholdFlag(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1)
    throw new Error(`--threshold needs a number from 0 to 1, got "${value}"`);
  return x;
}

function foldsFlag(cv: string | boolean | undefined, fallback: number): number {
  if (cv === undefined || cv === false) return fallback;
  if (cv === true) return 5;
  return integerFlag('--cv', cv, 2);
}

/** `--draws`: kb-gaps also reruns its protocol over this many seeded draws of gap intents, topics over as many orders. */
function drawsFlag(draws: string | undefined): number {
  return draws === undefined ? 0 : integerFlag('--draws', draws, 0);
}

const progress = (message: string) => process.stderr.write(`${message}\n`);

// Off-topic rows need only their text; an `intent` field, if any, is ignored.
const offTopicRowSchema = z.object({ text: z.string().min(1) });

/** `--off-topic <file>`, or for `--all` the repo's own off-topic questions when installed. */
async function offTopicFlag(file: string | undefined, all: boolean): Promise<OffTopic | undefined> {
  const path = file ?? (all ? handMadeOffTopic() : undefined);
  if (path === undefined) return undefined;
  const rows = (await readJsonl(path, offTopicRowSchema)).map(({ row }) => ({
    text: row.text,
    intent: OFF_TOPIC_INTENT,
  }));
  if (rows.length === 0) throw new Error(`${path}: no off-topic questions`);
  return { name: basename(path), rows };
}

export async function runEval(
  flags: EvalFlags,
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  openStore?: () => Promise<Store>,
) {
  // Each would otherwise be dropped without a word, and the figures read as the run asked for.
  if (flags.all !== undefined && (flags.task !== undefined || flags.data !== undefined))
    throw new Error(
      '--all evaluates every set of a directory, --task and --data one set: pass one or the other',
    );
  if (flags.all !== undefined && flags.threshold !== undefined)
    throw new Error('--threshold is for one set (--task), not --all: there each scorer keeps its own');
  const fixedModel =
    flags.task === GROUNDEDNESS_TASK || (flags.task !== undefined && isTopicTask(flags.task));
  if (fixedModel && flags.cv !== undefined)
    throw new Error(`--cv retrains a scorer's model; ${flags.task} has none to retrain`);
  if (flags.task !== undefined && isTopicTask(flags.task) && flags.threshold !== undefined)
    throw new Error(`--threshold sets a scorer's decision threshold; ${flags.task} has none`);
  if (flags.task === FEEDBACK_AGREEMENT_TASK) {
    if (!openStore) throw new Error('feedback-agreement reads a store; none is configured');
    const by = parseBy(flags.by);
    const store = await openStore();
    try {
      const rows = await feedbackAgreement(store, {
        ...(flags.project !== undefined ? { project: flags.project } : {}),
        by,
      });
      print(
        flags.json ? JSON.stringify({ task: FEEDBACK_AGREEMENT_TASK, rows }) : formatAgreementTable(rows),
      );
    } finally {
      await store.close();
    }
    return;
  }
  if (flags.all !== undefined) {
    // Else a mistyped directory reports the repo's own sets alone, and exits 0 as if it were read.
    if (!(await readdir(flags.all)).some((name) => name.endsWith('.jsonl')))
      throw new Error(`${flags.all}: no .jsonl data sets to evaluate`);
    if (!handMadeRowsInstalled()) progress(NO_HAND_MADE_ROWS);
    const { reports, skipped, groundedness } = await evaluateAll(flags.all, {
      cv: foldsFlag(flags.cv, 5),
      onProgress: progress,
    });
    // --all runs every embedder unless one is named, on the directory's sets and on the
    // repo's own (questions of many domains, where the directory may hold one domain only).
    const embedders =
      flags.topicsEmbedder !== undefined ? [evalTopicsEmbedder(flags.topicsEmbedder)] : undefined;
    const own = handMadeTopicSets();
    const dirs = own === undefined || resolve(own) === resolve(flags.all) ? [flags.all] : [flags.all, own];
    const offTopic = await offTopicFlag(flags.offTopic, true);
    const topics: TopicTaskReport[] = [];
    for (const dir of dirs)
      topics.push(...(await evaluateTopicSets(dir, progress, embedders, drawsFlag(flags.draws), offTopic)));
    if (flags.json) print(JSON.stringify({ reports, groundedness, topics, skipped }));
    else {
      print(formatReportTable(reports, skipped));
      if (groundedness.length > 0) print(`\n${formatGroundednessTable(groundedness)}`);
      print(`\n${formatTopicReports(topics)}`);
    }
    return;
  }
  if (flags.task === undefined || flags.data === undefined)
    throw new Error('eval needs --task and --data, or --all <dir>');
  if (flags.task === GROUNDEDNESS_TASK) {
    const options = flags.threshold !== undefined ? { threshold: thresholdFlag(flags.threshold) } : {};
    const report = await evaluateGroundedness(flags.data, options);
    print(flags.json ? JSON.stringify(report) : formatGroundednessTable([report]));
    return;
  }
  if (isTopicTask(flags.task)) {
    const report = await runTopicTask(
      flags.task,
      flags.data,
      evalTopicsEmbedder(flags.topicsEmbedder),
      progress,
      drawsFlag(flags.draws),
      await offTopicFlag(flags.offTopic, false),
    );
    print(flags.json ? JSON.stringify(report) : formatTopicReports([report]));
    return;
  }
  if (!(EVAL_TASKS as readonly string[]).includes(flags.task)) {
    throw new Error(
      `unknown task ${flags.task}; one of ${[...EVAL_TASKS, GROUNDEDNESS_TASK, ...TOPIC_TASKS, FEEDBACK_AGREEMENT_TASK].join(', ')}`,
    );
  }
  const options: Parameters<typeof evaluateTask>[0] = {
    task: flags.task as EvalTask,
    file: flags.data,
    onProgress: progress,
  };
  if (flags.threshold !== undefined) options.threshold = thresholdFlag(flags.threshold);
  const cv = foldsFlag(flags.cv, 0);
  if (cv > 0) {
    options.cv = cv;
    if (!handMadeRowsInstalled()) progress(NO_HAND_MADE_ROWS);
  }
  const report = await evaluateTask(options);
  print(flags.json ? formatReportJson(report) : formatReportTable([report]));
}

export interface EvalStoreWiring {
  /** Adds the store flags (--data-dir, --clickhouse-url, …) to a command. */
  addStoreOptions(command: Command): Command;
  /** Opens the store those flags describe. */
  openStore(flags: Record<string, unknown>): Promise<Store>;
}

export function registerEvalCommands(program: Command, storeWiring?: EvalStoreWiring): void {
  const evalCommand = program
    .command('eval')
    .description(
      'precision, recall, F1 at the shipped threshold, FPR and AUROC of a scorer on labelled JSONL',
    )
    .option(
      '--task <task>',
      `one of ${[...EVAL_TASKS, GROUNDEDNESS_TASK, ...TOPIC_TASKS, FEEDBACK_AGREEMENT_TASK].join(', ')}`,
    )
    .option(
      '--data <file>',
      'labelled JSONL ({text, label} rows; groundedness: {question, context, answer, label}; topics, kb-gaps: {text, intent})',
    )
    .option(
      '--all <dir>',
      'evaluate every known set in a directory (cross-validated and in-sample; topics for any {text, intent} set, and for the repo’s own when installed)',
    )
    .option('--json', 'print one JSON object')
    .option('--cv [folds]', 'k-fold cross-validation of a freshly trained model instead of the shipped one')
    .option('--threshold <x>', 'override the shipped threshold')
    .option('--project <id>', 'feedback-agreement: one project only')
    .option('--by <groups>', 'feedback-agreement: also split by model, topic or model,topic')
    .option(
      '--topics-embedder <kind>',
      'topics, kb-gaps: student (default; hashed n-grams + a distilled sentence network), hashed (the n-grams alone, ≈ 10 µs less a question) or use (hashed + USE-lite, ≈ 10 ms a question); --all: each unless one is named',
    )
    .option(
      '--draws <n>',
      'kb-gaps: also rerun the protocol over n seeded random draws of gap intents; topics: also cluster n seeded shuffles of the rows; print the spread',
    )
    .option(
      '--off-topic <file>',
      'mix these {text} questions into the set at seeded places, as oos rows: its only gaps for kb-gaps (every intent keeps its documents), not scored but clustered for topics; --all: the repo’s own when installed',
    );
  storeWiring?.addStoreOptions(evalCommand);
  evalCommand.action(async (flags: EvalFlags & Record<string, unknown>) => {
    await runEval(flags, undefined, storeWiring ? () => storeWiring.openStore(flags) : undefined);
  });
  program
    .command('train')
    .description('train a scorer model (jailbreak, injection, toxicity, refusal) from labelled JSONL')
    .argument('<task>', 'jailbreak | injection | toxicity | refusal')
    .argument('<file>', 'labelled JSONL ({text, label} rows)')
    .option(
      '--out <path>',
      "where to write the model JSON (default: the scorers package's models/<task>.json in a repo checkout, else ./<task>.model.json)",
    )
    .option('--aux-dir <dir>', 'directory of other labelled sets to borrow negatives from')
    .action(async (task: string, file: string, flags: { out?: string; auxDir?: string }) => {
      // The hand-made rows alone would still make a model, written over the shipped one by
      // default: an empty or truncated file is a mistake to stop at, as eval does.
      if (isTrainableTask(task) && (await readRows(file, task)).length === 0)
        throw new Error(`${file}: no rows, so nothing was trained`);
      const options = flags.auxDir !== undefined ? { auxDir: flags.auxDir } : {};
      if (!handMadeRowsInstalled()) process.stderr.write(`${NO_HAND_MADE_ROWS}\n`);
      const { model, out } = await train(task, file, flags.out, options);
      process.stdout.write(
        `trained ${model.task} model ${model.version} (threshold ${model.threshold}) → ${out}\n`,
      );
    });
}
