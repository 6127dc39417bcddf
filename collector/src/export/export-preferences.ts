/**
 * `oversight export-preferences`: rated generations read from the store one
 * bounded slice at a time, each slice streamed, and written one JSONL record a
 * line through a stream pipeline: the reading advances only as fast as the
 * output takes records, so an export of millions of feedback rows runs in the
 * memory of one slice (plus one DPO prompt group).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
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
  type PreferenceFilter,
  ratedByPrompt,
  ratedByTrace,
  type SliceOptions,
} from './preference-query.ts';

export interface ExportOptions extends PreferenceFilter, BuildOptions {
  format: ExportFormat;
  /** Rated generations turned into records per write to the output (default 2 000). */
  pageSize?: number;
  /** Traces with feedback per slice the store works on at a time (see DEFAULT_SLICE_ROWS). */
  sliceRows?: number;
  /** Called after each batch with rated generations read so far and the feedback-row total. */
  onProgress?: (generations: number, total: number) => void;
  /** DPO: called as prompts are sorted, before the first pair, with spans covered and their total. */
  onSorting?: (spans: number, total: number) => void;
}

export type ExportSummary = ReturnType<ExportTally['toJSON']> & {
  format: ExportFormat;
  feedbackRows: number;
};

/** Small enough that a batch of long conversations stays a few MB, large enough to amortise a write. */
const DEFAULT_PAGE_SIZE = 2_000;

/** The export as JSONL text, one chunk per page of rated generations. */
async function* jsonl(
  store: Store,
  options: ExportOptions,
  tally: ExportTally,
  onRows: (n: number) => void,
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const dpo = options.format === 'dpo' ? new DpoPairer(options, tally) : undefined;
  const build = options.format === 'kto' ? ktoRecords : sftRecords;
  const lines = (records: Iterable<ExportRecord>): string => {
    let chunk = '';
    for (const record of records) chunk += `${JSON.stringify(record)}\n`;
    return chunk;
  };
  const slices: SliceOptions = {
    onRows,
    onMissing: (n) => {
      tally.generations += n;
      tally.skip('generation_not_found', n);
    },
    ...(options.sliceRows !== undefined ? { sliceRows: options.sliceRows } : {}),
    ...(options.onSorting ? { onSorting: options.onSorting } : {}),
  };
  const rated = dpo ? ratedByPrompt(store, options, slices) : ratedByTrace(store, options, slices);
  for await (const batch of rated) {
    for (let i = 0; i < batch.length; i += pageSize) {
      let chunk = '';
      for (const row of batch.slice(i, i + pageSize))
        chunk += lines(dpo ? dpo.push(row) : build(row, options, tally));
      if (chunk !== '') yield chunk;
    }
  }
  if (dpo) {
    const rest = lines(dpo.flush());
    if (rest !== '') yield rest;
  }
}

/** Writes the export to `out` (JSONL, one record a line; `out` is left open) and resolves with the summary. */
export async function exportPreferences(
  store: Store,
  out: Writable,
  options: ExportOptions,
): Promise<ExportSummary> {
  const tally = new ExportTally();
  const feedbackRows = await countFeedback(store, options);
  let read = 0;
  const onRows = (n: number) => {
    read += n;
    options.onProgress?.(read, feedbackRows);
  };
  const records = jsonl(store, options, tally, onRows);
  // highWaterMark 1: one chunk waits while the output drains; a slow disk or pipe holds the query back.
  const source = Readable.from(records, { highWaterMark: 1 });
  try {
    await pipeline(source, out, { end: false });
  } catch (error) {
    // A failed output rejects the pipeline while the reading may still be inside a store call; wait
    // until it has stopped and cleaned up (DPO's work tables), so nothing of this export outlives it.
    await records.return(undefined);
    throw error;
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
  // Opened before any work: a path that cannot be written fails here, in one line, rather than as an
  // unhandled 'error' event that kills the process in the middle of the export.
  try {
    await once(out, 'ready');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot write the export to ${file}: ${message}`, { cause: error });
  }
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
