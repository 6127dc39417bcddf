/**
 * `npm run bench`: every benchmark section in turn, each printing its own
 * table, the figures also written to bench/results/latest.json.
 *
 *   npm run bench                      all sections (≈ 5 min on 2 cores)
 *   npm run bench -- --quick           shorter runs, rougher figures
 *   npm run bench -- --only ingest     one section (repeatable, or a comma list)
 *   npm run bench -- --load-evaluators all   the load section with every scorer on
 *
 * Figures are printed, never asserted: the machine is shared and noisy, so
 * each section measures its own baseline in the same run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Figures, Section } from './section.ts';
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

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');

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

console.log(
  `oversight bench${values.quick ? ' (quick)' : ''}: node ${process.version}, ${os.cpus().length} cores, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);

const results: Record<string, Figures | { error: string }> = {};
const seconds: Record<string, number> = {};
const runStarted = performance.now();
for (const section of selected) {
  console.log(`\n== ${section.name}: ${section.description}`);
  const started = performance.now();
  try {
    results[section.name] = await section.run({ quick: values.quick });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`section ${section.name} failed: ${message}`);
    results[section.name] = { error: error instanceof Error ? error.message : String(error) };
    process.exitCode = 1;
  }
  seconds[section.name] = Math.round((performance.now() - started) / 100) / 10;
  console.log(`  (${seconds[section.name]} s)`);
}

await mkdir(path.dirname(RESULTS), { recursive: true });
await writeFile(
  RESULTS,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      quick: values.quick,
      node: process.version,
      cores: os.cpus().length,
      seconds,
      sections: results,
    },
    null,
    2,
  )}\n`,
);
console.log(
  `\nbench done in ${Math.round((performance.now() - runStarted) / 1000)} s; figures in ${path.relative(process.cwd(), RESULTS)}`,
);
