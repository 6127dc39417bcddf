/** Plain-text and JSON renderings of eval reports. */
import { basename } from 'node:path';

/** Entity types that make a row `pii` in the eval sets' definition (shared/eval/README.md). */
const ROW_PII_TYPES = new Set([
  'PERSON',
  'STREET_ADDRESS',
  'CREDIT_CARD',
  'PHONE_NUMBER',
  'EMAIL_ADDRESS',
  'US_SSN',
  'IBAN_CODE',
  'IP_ADDRESS',
  'US_DRIVER_LICENSE',
]);

import type { EvalReport, SkippedSet } from './evaluate.ts';
import type { BinaryMetrics } from './metrics.ts';

export const fixed = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** The binary-classification columns every eval table shows, in this order. */
export const METRIC_HEADER = ['precision', 'recall', 'F1', 'FPR', 'AUROC'] as const;
export const metricCells = (m: BinaryMetrics): string[] => [
  fixed(m.precision),
  fixed(m.recall),
  fixed(m.f1),
  fixed(m.fpr),
  fixed(m.auroc),
];

/**
 * Header, rule and body lines of a table with columns two spaces apart: the
 * first `textColumns` columns left-aligned, the figures after them right-aligned.
 */
export function tableLines(
  header: readonly string[],
  body: readonly string[][],
  textColumns: number,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= textColumns ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

function modeLabel(r: EvalReport): string {
  if (r.mode === 'cv') return `${r.folds}-fold CV`;
  return r.mode;
}

export function formatReportTable(
  reports: readonly EvalReport[],
  skipped: readonly SkippedSet[] = [],
): string {
  const header = ['task', 'data', 'figures', 'rows', 'pos', 'thr', ...METRIC_HEADER, 'ordFPR'];
  const body = reports.map((r) => [
    r.task,
    basename(r.file),
    modeLabel(r),
    String(r.rows),
    String(r.positives),
    String(r.threshold),
    ...metricCells(r),
    r.ordinaryFpr === undefined ? '' : fixed(r.ordinaryFpr),
  ]);
  const out = tableLines(header, body, 3);
  for (const r of reports) {
    if (r.perEntity) {
      out.push(
        '',
        `PII recall per entity type (${basename(r.file)}; a gold span counts as found if any detection overlaps it):`,
      );
      const entries = Object.entries(r.perEntity).sort((a, b) => b[1].total - a[1].total);
      const w = Math.max(...entries.map(([k]) => k.length));
      // The set also annotates places, organisations, dates…, which do not make
      // a row PII by its own definition; listed apart so they read as context.
      const row = ([type, e]: (typeof entries)[number]) =>
        `  ${type.padEnd(w)}  ${fixed(e.recall)}  (${e.found}/${e.total})`;
      out.push(...entries.filter(([t]) => ROW_PII_TYPES.has(t)).map(row));
      const other = entries.filter(([t]) => !ROW_PII_TYPES.has(t));
      if (other.length > 0) out.push('  not PII by the set’s definition (not a goal):', ...other.map(row));
    }
  }
  const notes = reports
    .filter((r) => r.note)
    .map((r) => `  ${r.task} ${modeLabel(r)} (${basename(r.file)}): ${r.note}`);
  if (notes.length > 0) out.push('', 'Notes:', ...notes);
  if (skipped.length > 0) out.push('', 'Skipped:', ...skipped.map((s) => `  ${s.file}: ${s.reason}`));
  out.push(
    '',
    'Headline figures are the CV rows (grouped k-fold: train on k-1 folds, score the held-out fold). ' +
      'In-sample rows score the shipped model on data it was trained on. ' +
      'ordFPR: share of ordinary traffic flagged (the BANKING77 half held out of all training; CV rows average the fold models).',
  );
  return out.join('\n');
}

export function formatReportJson(report: EvalReport | readonly EvalReport[]): string {
  return JSON.stringify(report);
}
