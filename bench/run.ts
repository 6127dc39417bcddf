/**
 * `npm run bench`: every benchmark section in turn, each printing its own
 * table; then each figure beside its same-run baseline, written to
 * bench/results.json (stable keys, machine, load average) and rendered into
 * BENCHMARKS.md. A partial run (`--only`) replaces just its sections there.
 *
 *   npm run bench                      all sections (≈ 5 min on 2 cores)
 *   npm run bench -- --quick           shorter runs, rougher figures
 *   npm run bench -- --only ingest     one section (repeatable, or a comma list)
 *   npm run bench -- --load-evaluators all   the load section with every scorer on
 *
 * Figures are printed, never asserted: the machine is shared and noisy, so
 * each section measures its own baseline in the same run.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { baselinesOf } from './baselines.ts';
import { printTable } from './report.ts';
import {
  BENCHMARKS_MD,
  type Machine,
  RESULTS_FILE,
  readResults,
  type SectionResult,
  writeMarkdown,
  writeResults,
} from './results-file.ts';
import type { Section } from './section.ts';
import { dashboards } from './sections/dashboards.ts';
import { exportSection } from './sections/export.ts';
import { feedbackSection } from './sections/feedback.ts';
import { freshness } from './sections/freshness.ts';
import { groundednessSection } from './sections/groundedness.ts';
import { guard } from './sections/guard.ts';
import { importCost } from './sections/import-cost.ts';
import { ingest } from './sections/ingest.ts';
import { DEFAULT_LOAD, loadSection } from './sections/load.ts';
import { decode, sdkOverhead, wal } from './sections/modules.ts';
import { scoring } from './sections/scoring.ts';
import { topics } from './sections/topics.ts';
import { traceQuality } from './sections/trace-quality.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    'load-evaluators': { type: 'string', default: DEFAULT_LOAD.evaluators },
    'load-rate': { type: 'string', default: String(DEFAULT_LOAD.spansPerSecond) },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const sections: Section[] = [
  ingest,
  feedbackSection,
  freshness,
  loadSection({ evaluators: values['load-evaluators'], spansPerSecond: Number(values['load-rate']) }),
  guard,
  scoring,
  groundednessSection,
  topics,
  traceQuality,
  decode,
  wal,
  sdkOverhead,
  exportSection,
  dashboards,
  importCost,
];

if (values.help) {
  console.log(
    'usage: npm run bench -- [--quick] [--only <section>[,<section>]] [--load-evaluators all|none|list] [--load-rate n]\n',
  );
  for (const s of sections) console.log(`  ${s.name.padEnd(13)} ${s.description}`);
  process.exit(0);
}

const wanted = (values.only ?? [])
  .flatMap((s) => s.split(','))
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted.filter((name) => !sections.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${sections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? sections.filter((s) => wanted.includes(s.name)) : sections;

const loadAverage = (): [number, number, number] => {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return [one, five, fifteen].map((l) => Math.round(l * 100) / 100) as [number, number, number];
};
const machine: Machine = {
  node: process.version,
  platform: os.platform(),
  arch: os.arch(),
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
  cores: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30),
  load_average: loadAverage(),
};

console.log(
  `oversight bench${values.quick ? ' (quick)' : ''}: node ${machine.node}, ${machine.cores} cores, ` +
    `${machine.memory_gib} GiB, load average ${machine.load_average.map((l) => l.toFixed(1)).join(' ')}`,
);

const previous = await readResults();
const results: Record<string, SectionResult> = {};
const runStarted = performance.now();

/**
 * Writes results.json and BENCHMARKS.md; called after every section, so a run
 * cut short (a slow, shared machine) still leaves the figures it measured.
 * Sections in their run order; ones this run skipped keep their last figures.
 */
async function save(): Promise<void> {
  const order = sections.map((s) => s.name);
  const merged: Record<string, SectionResult> = {};
  for (const name of order) {
    const section = results[name] ?? previous?.sections[name];
    if (section) merged[name] = section;
  }
  const file = {
    schema: 1 as const,
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine,
    sections: merged,
  };
  await writeResults(file);
  await writeMarkdown(file, order);
}

for (const section of selected) {
  console.log(`\n== ${section.name}: ${section.description}`);
  const started = performance.now();
  const date = new Date().toISOString();
  const load = loadAverage();
  let figures: Record<string, number> = {};
  let error: string | undefined;
  try {
    figures = await section.run({ quick: values.quick });
  } catch (caught) {
    const message = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
    console.error(`section ${section.name} failed: ${message}`);
    error = caught instanceof Error ? caught.message : String(caught);
    process.exitCode = 1;
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  results[section.name] = {
    description: section.description,
    date,
    quick: values.quick,
    seconds,
    load_average: load,
    figures,
    baselines: baselinesOf(section.name, figures),
    ...(error ? { error } : {}),
  };
  console.log(`  (${seconds} s)`);
  await save();
}

const rows = Object.entries(results).flatMap(([name, r]) =>
  Object.entries(r.baselines).map(([figure, baseline]) => {
    const value = r.figures[figure] as number;
    const base = r.figures[baseline] as number;
    return [
      `${name}: ${figure}`,
      value,
      baseline,
      base,
      base !== 0 ? Math.round((value / base) * 100) / 100 : 'n/a',
    ];
  }),
);
printTable(
  'each figure next to its same-run baseline',
  ['figure', 'value', 'baseline', 'baseline value', 'ratio'],
  rows,
);

console.log(
  `\nbench done in ${Math.round((performance.now() - runStarted) / 1000)} s; figures in ` +
    `${path.relative(process.cwd(), RESULTS_FILE)} and ${path.relative(process.cwd(), BENCHMARKS_MD)}`,
);
