/**
 * Dev tool: whether harmless text around an attack hides it from the linear safety
 * scorers (prompt injection, jailbreak, toxicity), what reading windows costs in
 * false positives on long harmless documents and in time, and the 5-fold CV
 * figures `npm run eval` prints for these tasks.
 *
 *   npx node tools/src/padding-eval.ts [sections] [eval dir]
 *
 * sections: comma-separated of cv, padded, long, cost (default padded,long,cost; cv
 * retrains 15 models and takes minutes). Rows with "whole text" are the scorers with
 * windows off (`windows: false`), i.e. reading the text as one average as before;
 * "hit windows" count only windows with a rule hit (`ngramWindows: false`); "windows" is
 * the shipped scorer, where a window may also count by its n-grams above the task's bar.
 * All variants run in the same process so the figures compare.
 *
 * - padded: each positive row of the dev sets with 500–5,000 characters of harmless
 *   text before, after, or around it (seeded), drawn from HaluEval knowledge paragraphs,
 *   SummEdits documents and the repo's hand-written ordinary messages: none of them a
 *   negative of the three sets. Recall at the shipped threshold.
 * - long: share flagged among HaluEval knowledge paragraphs, SummEdits documents,
 *   seeded concatenations of them up to ~20 kB, and long benign chats (BANKING77's
 *   held-out half, the repo's off-topic questions and ordinary messages, as turns).
 * - cost: CPU µs per text at 200 B, 2 kB, 20 kB, 200 kB, median over interleaved rounds: of the
 *   eval sets' texts mixed as the scorer bench builds them (dense in attacks), and of harmless
 *   documents.
 */
import { join } from 'node:path';
import { evaluateTask } from '@oversight/collector/eval';
import {
  createJailbreakScorer,
  createPromptInjectionScorer,
  createToxicityScorer,
  type LinearScorerOptions,
  seededRandom,
  type TextScorer,
} from '@oversight/scorers';
import { benchDocs } from './corpus.ts';
import { concatenations, jsonl, longHarmlessSets, paddingSets } from './padding-sets.ts';

const sections = new Set((process.argv[2] ?? 'padded,long,cost').split(','));
const dir = process.argv[3] ?? '../shared/eval';
const harmless = paddingSets(dir);
const { knowledge, documents, padded } = harmless;

const TASKS = [
  {
    task: 'injection',
    file: 'prompt-injection.dev.jsonl',
    positive: 'injection',
    make: createPromptInjectionScorer,
  },
  { task: 'jailbreak', file: 'jailbreak.dev.jsonl', positive: 'jailbreak', make: createJailbreakScorer },
  { task: 'toxicity', file: 'toxicity.dev.jsonl', positive: 'toxic', make: createToxicityScorer },
] as const;

const variants: { name: string; options: LinearScorerOptions }[] = [
  { name: 'whole text', options: { windows: false } },
  { name: 'hit windows', options: { ngramWindows: false } },
  { name: 'windows', options: {} },
];
const scorerFor = (t: (typeof TASKS)[number], options: LinearScorerOptions): TextScorer =>
  t.make(undefined, options);

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

async function cv(): Promise<void> {
  const { heldOutOrdinaryRows } = await import('../../collector/src/eval/train.ts');
  const ordinaryRows = (await heldOutOrdinaryRows(dir)).map((r) => r.text);
  console.log('\n5-fold CV (as npm run eval): task  P  R  F1  FPR  AUROC  ordFPR');
  for (const t of TASKS) {
    const r = await evaluateTask({
      task: t.task,
      file: join(dir, t.file),
      cv: 5,
      auxDir: dir,
      ordinary: ordinaryRows,
    });
    const f = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
    console.log(
      `${t.task.padEnd(10)} ${f(r.precision)} ${f(r.recall)} ${f(r.f1)} ${f(r.fpr)} ${f(r.auroc)} ${f(r.ordinaryFpr)}  (${r.version})`,
    );
  }
}

function paddedRecall(): void {
  console.log(
    '\npadded recall at the shipped threshold (positives of each dev set, 500–5,000 chars of padding)',
  );
  console.log(`${'task'.padEnd(10)} ${'variant'.padEnd(11)} alone     before    after     both      all`);
  for (const t of TASKS) {
    const texts = jsonl(join(dir, t.file))
      .filter((r) => r.label === t.positive)
      .map((r) => String(r.text));
    for (const v of variants) {
      const s = scorerFor(t, v.options);
      const random = seededRandom(20261206);
      const share = (xs: string[]) => xs.filter((x) => s.score(x).flagged).length / xs.length;
      const cases = (['before', 'after', 'both'] as const).map((w) => texts.map((x) => padded(random, x, w)));
      console.log(
        `${t.task.padEnd(10)} ${v.name.padEnd(11)} ${[share(texts), ...cases.map(share), share(cases.flat())]
          .map((x) => pct(x).padEnd(9))
          .join(' ')}`,
      );
    }
  }
}

/** Seeded concatenations of `pool`'s texts, each grown to about `length` characters. */
async function longDocs(): Promise<void> {
  const sets = await longHarmlessSets(dir, harmless);
  console.log('\nshare of long harmless texts flagged');
  console.log(`${'set'.padEnd(32)} ${'task'.padEnd(10)} ${variants.map((v) => v.name.padEnd(11)).join(' ')}`);
  for (const [name, texts] of sets) {
    for (const t of TASKS) {
      const shares = variants.map((v) => {
        const s = scorerFor(t, v.options);
        return texts.filter((x) => s.score(x).flagged).length / texts.length;
      });
      console.log(
        `${name.padEnd(32)} ${t.task.padEnd(10)} ${shares.map((x) => pct(x).padEnd(11)).join(' ')}`,
      );
    }
  }
}

function cost(corpus: 'attacks' | 'harmless'): void {
  const big =
    corpus === 'attacks'
      ? benchDocs(dir).join('\n')
      : concatenations([...knowledge, ...documents], 1, 420_000, 5).join('');
  const sizes = [200, 2_000, 20_000, 200_000];
  const texts = (size: number) => {
    const n = size >= 200_000 ? 4 : size >= 20_000 ? 20 : 100;
    return Array.from({ length: n }, (_, i) => {
      let s = '';
      const from = (i * 7919) % big.length;
      while (s.length < size) s += big.slice(from, from + size - s.length) || big.slice(0, size - s.length);
      return s;
    });
  };
  const scorersOf = (options: LinearScorerOptions) => TASKS.map((t) => scorerFor(t, options));
  const cases: [string, (text: string) => number][] = [['baseline (text length)', (t) => t.length]];
  for (const v of variants) {
    const all = scorersOf(v.options);
    for (const s of all) cases.push([`${s.name} (${v.name})`, (t) => s.score(t).score]);
    cases.push([
      `all three (${v.name})`,
      (t) => {
        let z = 0;
        for (const s of all) z += s.score(t).score;
        return z;
      },
    ]);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  let sink = 0;
  console.log(
    corpus === 'attacks'
      ? '\nCPU µs per text of the eval sets mixed (dense in rule hits), median over 5 interleaved rounds'
      : '\nCPU µs per text of HaluEval knowledge and SummEdits documents, median over 5 interleaved rounds',
  );
  console.log(`${'case'.padEnd(34)} ${sizes.map((s) => `${s} B`.padStart(10)).join('')}`);
  const table = cases.map(() => sizes.map(() => [] as number[]));
  for (const [k, size] of sizes.entries()) {
    const xs = texts(size);
    for (const [, fn] of cases) for (const x of xs) sink += fn(x);
    for (let r = 0; r < 5; r++) {
      for (const [c, [, fn]] of cases.entries()) {
        // CPU time, not wall time: other processes on a shared machine move the latter by 2×.
        const t0 = process.cpuUsage();
        for (const x of xs) sink += fn(`${x} `);
        const t = process.cpuUsage(t0);
        table[c]?.[k]?.push((t.user + t.system) / xs.length);
      }
    }
  }
  cases.forEach(([name], c) => {
    console.log(
      `${name.padEnd(34)} ${(table[c] ?? []).map((runs) => median(runs).toFixed(1).padStart(10)).join('')}`,
    );
  });
  if (sink === -1) console.log('');
}

if (sections.has('cv')) await cv();
if (sections.has('padded')) paddedRecall();
if (sections.has('long')) await longDocs();
if (sections.has('cost')) {
  cost('attacks');
  cost('harmless');
}
