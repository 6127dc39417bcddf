/**
 * `oversight export-preferences`: streams rated generations out of the store
 * page by page and writes one JSONL record per line, so an export of millions
 * of feedback rows runs in the memory of one page.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Store } from '../store/store.ts';
import {
  type BuildOptions,
  DpoPairer,
  type ExportFormat,
  type ExportRecord,
  ExportTally,
  ktoRecords,
  sftRecords,
} from './formats.ts';
import {
  countFeedback,
  type PageOptions,
  type PreferenceFilter,
  type RatedGeneration,
  ratedByPrompt,
  ratedByTrace,
} from './preference-query.ts';

export interface ExportOptions extends PreferenceFilter, BuildOptions {
  format: ExportFormat;
  pageSize?: number;
  /** Called after each page with rated generations read so far and the feedback-row total. */
  onProgress?: (generations: number, total: number) => void;
}

export type ExportSummary = ReturnType<ExportTally['toJSON']> & {
  format: ExportFormat;
  feedbackRows: number;
};

async function* records(
  store: Store,
  options: ExportOptions,
  tally: ExportTally,
  page: PageOptions,
): AsyncGenerator<ExportRecord[]> {
  if (options.format === 'dpo') {
    const pairer = new DpoPairer(options, tally);
    for await (const rows of ratedByPrompt(store, options, page)) {
      const out: ExportRecord[] = [];
      for (const row of rows) out.push(...pairer.push(row));
      yield out;
    }
    yield [...pairer.flush()];
    return;
  }
  const build = options.format === 'kto' ? ktoRecords : sftRecords;
  for await (const rows of ratedByTrace(store, options, page)) {
    const out: ExportRecord[] = [];
    for (const row of rows as RatedGeneration[]) out.push(...build(row, options, tally));
    yield out;
  }
}

/** Writes the export to `out` (JSONL, one record a line) and resolves with the summary. */
export async function exportPreferences(
  store: Store,
  out: Writable,
  options: ExportOptions,
): Promise<ExportSummary> {
  const tally = new ExportTally();
  const feedbackRows = await countFeedback(store, options);
  let read = 0;
  const page: PageOptions = {
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    onPage: (n) => {
      read += n;
      options.onProgress?.(read, feedbackRows);
    },
  };
  for await (const batch of records(store, options, tally, page)) {
    if (batch.length === 0) continue;
    let chunk = '';
    for (const record of batch) chunk += `${JSON.stringify(record)}\n`;
    // Backpressure: a slow disk or pipe holds the next page back instead of buffering it.
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return { format: options.format, feedbackRows, ...tally.toJSON() };
}

/** The CLI's sink: a file, or stdout for `-` or no file. A failed export leaves a partial file; the error says so. */
export async function withOutput<T>(
  file: string | undefined,
  run: (out: Writable) => Promise<T>,
): Promise<T> {
  if (file === undefined || file === '-') return run(process.stdout);
  const out = createWriteStream(file);
  try {
    return await run(out);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message} (${file} is incomplete)`, { cause: error });
  } finally {
    out.end();
    await finished(out);
  }
}

export function formatSummary(summary: ExportSummary): string {
  const kinds = Object.entries(summary.kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const skipped = Object.entries(summary.skipped)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `exported ${summary.written} ${summary.format.toUpperCase()} records from ${summary.generations} rated generations (${summary.feedbackRows} feedback rows)`,
    `  by kind: ${kinds || 'none'}`,
    `  skipped: ${skipped || 'none'}`,
  ].join('\n');
}
