/**
 * bench/results.json: what `npm run bench` measured, with stable keys so runs
 * diff cleanly, and BENCHMARKS.md rendered from it (`npm run bench:md`), so
 * the document never says anything the file does not.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { baselinesOf } from './baselines.ts';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
export const BENCHMARKS_MD = path.join(BENCH_DIR, '..', 'BENCHMARKS.md');

const MachineSchema = z.object({
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpu: z.string(),
  cores: z.number(),
  memory_gib: z.number(),
  /** 1, 5 and 15 minute load averages when the section (or run) started: a busy box reads slower. */
  load_average: z.tuple([z.number(), z.number(), z.number()]),
});
export type Machine = z.infer<typeof MachineSchema>;

const SectionResultSchema = z.object({
  description: z.string(),
  date: z.string(),
  quick: z.boolean(),
  seconds: z.number(),
  load_average: z.tuple([z.number(), z.number(), z.number()]),
  figures: z.record(z.string(), z.number()),
  /** `{ figure: its same-run baseline figure }`. */
  baselines: z.record(z.string(), z.string()),
  error: z.string().optional(),
});
export type SectionResult = z.infer<typeof SectionResultSchema>;

export const ResultsSchema = z.object({
  schema: z.literal(1),
  date: z.string(),
  command: z.string(),
  machine: MachineSchema,
  sections: z.record(z.string(), SectionResultSchema),
});
export type Results = z.infer<typeof ResultsSchema>;

export async function readResults(file = RESULTS_FILE): Promise<Results | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = ResultsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} does not match the results schema: ${parsed.error.message}`);
  return parsed.data;
}

export async function writeResults(results: Results, file = RESULTS_FILE): Promise<void> {
  // Short number arrays (load averages) on one line, as the repository's formatter wants them.
  const text = JSON.stringify(results, null, 2).replace(
    /\[\n\s+([-\d.e+,\s]+?)\n\s+\]/g,
    (_, items: string) => `[${items.split(/,\s*/).join(', ')}]`,
  );
  await writeFile(file, `${text}\n`);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function ratio(value: number, baseline: number): string {
  if (baseline === 0 || !Number.isFinite(value / baseline)) return '';
  return `${(value / baseline).toFixed(value / baseline >= 10 ? 0 : 2)}×`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The whole of BENCHMARKS.md, from the results alone. */
export function renderMarkdown(
  results: Results,
  order: readonly string[] = Object.keys(results.sections),
): string {
  const m = results.machine;
  const out: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated from bench/results.json by `npm run bench:md`; edit bench/results-file.ts, not this file. -->',
    '',
    'Every figure sits next to its baseline measured in the same run on the same machine (a raw insert,',
    'a bare client, the scorers off, …), so the ratio is what to read: absolute figures move with the',
    'machine and its load.',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ${m.platform}/${m.arch}, Node ${m.node}; ` +
      `load average at the start ${m.load_average.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min).`,
    `Last run: ${results.date} (\`${results.command}\`).`,
    '',
    'Reproduce: `npm ci && npm run bench` (every section, ≈ 11 min on 2 cores; `-- --quick` for a smoke run,',
    '`-- --only <section>` for one). It prints the tables, rewrites `bench/results.json` and this file.',
    '',
  ];
  for (const name of order) {
    const s = results.sections[name];
    if (!s) continue;
    out.push(
      `## ${name}`,
      '',
      `${s.description}. ${s.quick ? 'Quick run, rough figures; ' : ''}${s.date.slice(0, 16).replace('T', ' ')} UTC, ` +
        `${s.seconds} s, load average ${s.load_average[0].toFixed(1)}.`,
      '',
    );
    if (s.error) {
      out.push('Failed:', '', '```text', ...s.error.trim().split('\n').slice(0, 12), '```', '');
      continue;
    }
    const paired = Object.entries(s.baselines);
    if (paired.length > 0) {
      out.push(
        '| figure | value | baseline | baseline value | ratio |',
        '| --- | ---: | --- | ---: | ---: |',
      );
      for (const [figure, baseline] of paired) {
        const value = s.figures[figure] as number;
        const base = s.figures[baseline] as number;
        out.push(
          `| ${cell(figure)} | ${formatNumber(value)} | ${cell(baseline)} | ${formatNumber(base)} | ${ratio(value, base)} |`,
        );
      }
      out.push('');
    }
    const used = new Set([...paired.flat()]);
    const rest = Object.entries(s.figures).filter(([k]) => !used.has(k));
    if (rest.length > 0) {
      out.push(
        paired.length > 0 ? 'Other figures of the run:' : 'Figures:',
        '',
        ...rest.map(([k, v]) => `- ${cell(k)}: ${formatNumber(v)}`),
        '',
      );
    }
  }
  return out.join('\n');
}

export async function writeMarkdown(results: Results, order?: readonly string[]): Promise<void> {
  await writeFile(BENCHMARKS_MD, renderMarkdown(results, order));
}

// `npm run bench:md`: re-render BENCHMARKS.md from the checked-in results.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await readResults();
  if (!results) {
    console.error(`no ${path.relative(process.cwd(), RESULTS_FILE)} yet: run npm run bench first`);
    process.exit(1);
  }
  // Pairings are re-derived, so a new rule in baselines.ts shows without a re-run.
  for (const [name, section] of Object.entries(results.sections))
    section.baselines = baselinesOf(name, section.figures);
  await writeResults(results);
  await writeMarkdown(results);
  console.log(`wrote ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
}
