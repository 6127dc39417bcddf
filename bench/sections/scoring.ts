/**
 * The collector's per-span work without any I/O: `createBatchTransform`
 * (normalize, safety scoring, row building) over realistic GenAI spans, with
 * all scorers and with none (the baseline), alternated so noise hits both.
 * One thread, so spans per CPU-second is spans per core. Then the linear
 * scorers' cost per text from 200 B to 200 kB, reading long texts in windows
 * (as shipped) against reading them whole (`windows: false`, the baseline).
 */

import {
  createJailbreakScorer,
  createPromptInjectionScorer,
  createToxicityScorer,
  type LinearScorerOptions,
  scorers,
  type TextScorer,
} from '@oversight/scorers';
import { createBatchTransform } from '../../collector/src/pipeline/transform/batch-transform.ts';
import { texts } from '../corpus.ts';
import { makeGenAiSpans, toPositionedBatches, toSpanRecords } from '../genai-spans.ts';
import { note, printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { median, round } from '../stats.ts';

/** Log entries of 100 spans, as in the load section. */
const PER_ENTRY = 100;

function timeTransform(
  toRows: ReturnType<typeof createBatchTransform>,
  batches: Parameters<typeof toRows>[0],
) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rows = 0;
  // One entry per call, like a drain round of one request.
  for (const batch of batches) for (const table of toRows([batch]).values()) rows += table.length;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rows };
}

/** Text lengths the linear scorers' cost per text is measured at. */
const LENGTHS = [200, 2_000, 20_000, 200_000];

/** µs per text of prompt injection, jailbreak and toxicity on the same text, median of alternated rounds. */
function lengthCost(quick: boolean): Figures {
  const three = (options: LinearScorerOptions): TextScorer[] => [
    createPromptInjectionScorer(undefined, options),
    createJailbreakScorer(undefined, options),
    createToxicityScorer(undefined, options),
  ];
  const variants = { whole: three({ windows: false }), windows: three({}) };
  const rounds = quick ? 3 : 5;
  let sink = 0;
  const figures: Figures = {};
  const rows: (string | number)[][] = [];
  for (const length of LENGTHS) {
    const count = Math.max(4, Math.min(200, Math.round(400_000 / length)));
    const docs = texts(count, length, 7);
    const samples = { whole: [] as number[], windows: [] as number[] };
    for (let r = 0; r <= rounds; r++) {
      for (const name of ['whole', 'windows'] as const) {
        const t0 = performance.now();
        // A fresh string each time, so no scorer reads another round's cached features.
        for (const doc of docs) for (const s of variants[name]) sink += s.score(`${doc} `).score;
        // Round 0 warms both paths up and is not counted.
        if (r > 0) samples[name].push(((performance.now() - t0) * 1000) / docs.length);
      }
    }
    const whole = median(samples.whole);
    const windows = median(samples.windows);
    figures[`linear3_${length}b_whole_us`] = round(whole, 1);
    figures[`linear3_${length}b_windows_us`] = round(windows, 1);
    rows.push([`${length} B`, round(whole, 1), round(windows, 1), round(windows / whole, 2)]);
  }
  printTable(
    `scoring: prompt injection + jailbreak + toxicity on one text, µs per text (median of ${rounds} alternated rounds)`,
    ['text', 'whole text (baseline)', 'windows (shipped)', 'ratio'],
    rows,
  );
  if (sink === -1) note('');
  return figures;
}

export const scoring: Section = {
  name: 'scoring',
  description: 'collector batch transform (normalize + scoring + rows) spans/s per core, all scorers vs none',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const total = quick ? 1_000 : 5_000;
    const rounds = quick ? 2 : 3;
    const records = toSpanRecords(await makeGenAiSpans(total, 5));
    const batches = toPositionedBatches(records, PER_ENTRY);
    const variants = {
      none: createBatchTransform({ maxTextChars: 100_000, scorers: [] }),
      all: createBatchTransform({ maxTextChars: 100_000, scorers: Object.values(scorers) }),
    };
    const warm = batches.slice(0, 3);
    for (const toRows of Object.values(variants)) timeTransform(toRows, warm);

    const samples = { none: [] as number[], all: [] as number[] };
    const cpu = { none: [] as number[], all: [] as number[] };
    const rows = { none: 0, all: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const name of ['none', 'all'] as const) {
        const t = timeTransform(variants[name], batches);
        samples[name].push(t.wallMs);
        cpu[name].push(t.cpuMs);
        rows[name] = t.rows;
      }
    }
    const rate = (ms: number) => (total / ms) * 1000;
    const none = median(samples.none);
    const all = median(samples.all);
    printTable(
      `scoring: collector batch transform over ${total} GenAI spans (median of ${rounds} alternated runs)`,
      ['scorers', 'ms', 'spans/s', 'spans/CPU-s', 'µs/span', 'rows out'],
      [
        [
          'none (baseline)',
          round(none),
          Math.round(rate(none)),
          Math.round(rate(median(cpu.none))),
          round((none / total) * 1000),
          rows.none,
        ],
        [
          'all',
          round(all),
          Math.round(rate(all)),
          Math.round(rate(median(cpu.all))),
          round((all / total) * 1000),
          rows.all,
        ],
      ],
    );
    note(
      `scorers add ${round(((all - none) / total) * 1000)} µs per span (${Math.round((1 - none / all) * 100)} % of the transform)`,
    );
    return {
      spans: total,
      none_spans_per_s: Math.round(rate(none)),
      all_spans_per_s: Math.round(rate(all)),
      none_spans_per_cpu_s: Math.round(rate(median(cpu.none))),
      all_spans_per_cpu_s: Math.round(rate(median(cpu.all))),
      scorers_us_per_span: round(((all - none) / total) * 1000),
      scorers_share: round(1 - none / all, 3),
      ...lengthCost(quick),
    };
  },
};
