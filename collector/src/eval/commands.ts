/**
 * The `eval` and `train` subcommands, for the CLI to mount:
 *   oversight eval --task <t> --data <file> [--json] [--cv [k]] [--threshold x]
 *   oversight eval --all <dir> [--json] [--cv k]
 *   oversight train <task> <file> [--out path] [--aux-dir dir]
 */
import type { Command } from 'commander';
import { EVAL_TASKS, type EvalTask } from './dataset.ts';
import { evaluateAll, evaluateTask } from './evaluate.ts';
import { formatReportJson, formatReportTable } from './format.ts';
import {
  evaluateTopicSets,
  formatTopicReports,
  isTopicTask,
  runTopicTask,
  TOPIC_TASKS,
} from './topic-tasks.ts';
import { train } from './train.ts';

interface EvalFlags {
  task?: string;
  data?: string;
  all?: string;
  json?: boolean;
  cv?: string | boolean;
  threshold?: string;
}

function foldsFlag(cv: string | boolean | undefined, fallback: number): number {
  if (cv === undefined || cv === false) return fallback;
  if (cv === true) return 5;
  const k = Number(cv);
  if (!Number.isInteger(k) || k < 2) throw new Error(`--cv needs an integer ≥ 2, got ${cv}`);
  return k;
}

const progress = (message: string) => process.stderr.write(`${message}\n`);

export async function runEval(
  flags: EvalFlags,
  print: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
) {
  if (flags.all !== undefined) {
    const { reports, skipped } = await evaluateAll(flags.all, {
      cv: foldsFlag(flags.cv, 5),
      onProgress: progress,
    });
    const topics = await evaluateTopicSets(flags.all, progress);
    print(
      flags.json
        ? JSON.stringify({ reports, skipped, topics })
        : `${formatReportTable(reports, skipped)}\n\n${formatTopicReports(topics)}`,
    );
    return;
  }
  if (flags.task === undefined || flags.data === undefined)
    throw new Error('eval needs --task and --data, or --all <dir>');
  if (isTopicTask(flags.task)) {
    const report = await runTopicTask(flags.task, flags.data);
    print(flags.json ? JSON.stringify(report) : formatTopicReports([report]));
    return;
  }
  if (!(EVAL_TASKS as readonly string[]).includes(flags.task)) {
    throw new Error(`unknown task ${flags.task}; one of ${[...EVAL_TASKS, ...TOPIC_TASKS].join(', ')}`);
  }
  const options: Parameters<typeof evaluateTask>[0] = {
    task: flags.task as EvalTask,
    file: flags.data,
    onProgress: progress,
  };
  if (flags.threshold !== undefined) options.threshold = Number(flags.threshold);
  const cv = foldsFlag(flags.cv, 0);
  if (cv > 0) options.cv = cv;
  const report = await evaluateTask(options);
  print(flags.json ? formatReportJson(report) : formatReportTable([report]));
}

export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description(
      'precision, recall, F1 at the shipped threshold, FPR and AUROC of a scorer on labelled JSONL',
    )
    .option('--task <task>', `one of ${[...EVAL_TASKS, ...TOPIC_TASKS].join(', ')}`)
    .option('--data <file>', 'labelled JSONL ({text, label} rows; {text, intent} for topics and kb-gaps)')
    .option('--all <dir>', 'evaluate every known set in a directory (cross-validated and in-sample)')
    .option('--json', 'print one JSON object')
    .option('--cv [folds]', 'k-fold cross-validation of a freshly trained model instead of the shipped one')
    .option('--threshold <x>', 'override the shipped threshold')
    .action(async (flags: EvalFlags) => {
      await runEval(flags);
    });
  program
    .command('train')
    .description('train a scorer model (jailbreak, injection, toxicity, refusal) from labelled JSONL')
    .argument('<task>', 'jailbreak | injection | toxicity | refusal')
    .argument('<file>', 'labelled JSONL ({text, label} rows)')
    .option('--out <path>', 'where to write the model JSON (default ./<task>.model.json)')
    .option('--aux-dir <dir>', 'directory of other labelled sets to borrow negatives from')
    .action(async (task: string, file: string, flags: { out?: string; auxDir?: string }) => {
      const options = flags.auxDir !== undefined ? { auxDir: flags.auxDir } : {};
      const { model, out } = await train(task, file, flags.out, options);
      process.stdout.write(
        `trained ${model.task} model ${model.version} (threshold ${model.threshold}) → ${out}\n`,
      );
    });
}
