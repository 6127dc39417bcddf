/**
 * The `export-preferences` subcommand's action: opens the configured store
 * (its rows are only read, with readonly=1; DPO also writes and drops a work
 * table of its own), streams the export, draws a progress bar on a terminal and
 * prints the summary to stderr so stdout can be the JSONL itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { openConfiguredStore } from '../service.ts';
import { exportPreferences, formatSummary, withOutput } from './export-preferences.ts';
import { EXPORT_FORMATS } from './formats.ts';
import { toClickHouseTime } from './preference-query.ts';

export const ExportFlagsSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  since: z.string().optional(),
  until: z.string().optional(),
  project: z.string().min(1).optional(),
  topic: z.string().regex(/^\d+$/, 'a numeric topic id').optional(),
  minGroundedness: z.coerce.number().min(0).max(1).optional(),
  out: z.string().optional(),
  /** commander's `--no-mask-pii` sets maskPii false. */
  maskPii: z.boolean().default(true),
  pageSize: z.coerce.number().int().min(1).optional(),
});
export type ExportFlags = z.input<typeof ExportFlagsSchema>;

/** `flags` as commander hands them over; validated here, where they enter. */
export async function runExportPreferences(config: Config, flags: unknown): Promise<void> {
  const parsed = ExportFlagsSchema.safeParse(flags);
  if (!parsed.success) {
    // One line, under the flag's name: the schema's keys are commander's camelCase of it.
    const flag = (key: PropertyKey) => `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new Error(parsed.error.issues.map((i) => `${i.path.map(flag).join('.')}: ${i.message}`).join('; '));
  }
  const { out, ...options } = parsed.data;
  const times = { since: '', until: '' };
  for (const flag of ['since', 'until'] as const) {
    try {
      times[flag] = toClickHouseTime(options[flag], '');
    } catch (error) {
      throw new Error(`--${flag}: ${(error as Error).message}`);
    }
  }
  // An empty window exports nothing and says only "exported 0": a swapped pair looks like no feedback.
  if (times.since !== '' && times.until !== '' && times.until <= times.since)
    throw new Error(
      `--until ${options.until} is not after --since ${options.since}: no feedback could match`,
    );
  // Opening an embedded directory that is not there creates an empty engine, and "Unknown table feedback".
  if (!config.clickhouseUrl && !existsSync(config.dataDir))
    throw new Error(
      `no Oversight data in ${path.resolve(config.dataDir)}: pass the --data-dir the collector uses, or run from where it runs`,
    );
  const store = await openConfiguredStore(config);
  // One bar for both phases: a DPO export first sorts prompts (spans), then reads rated generations.
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{phase} {bar} {value} {unit} | {duration_formatted}',
    hideCursor: true,
  });
  let started = false;
  const show = (value: number, total: number, payload: { phase: string; unit: string }) => {
    if (!started) {
      bar.start(total, 0, payload);
      started = true;
    } else bar.setTotal(total);
    bar.update(Math.min(value, total), payload);
  };
  try {
    const summary = await withOutput(out, (sink) =>
      exportPreferences(store, sink, {
        ...options,
        onSorting: (spans, total) =>
          show(spans, total, { phase: 'sorting prompts', unit: `of ${total} spans` }),
        onProgress: (read, total) =>
          show(read, total, { phase: 'exporting', unit: `rated generations read (${total} feedback rows)` }),
      }),
    );
    if (started) bar.stop();
    process.stderr.write(`${formatSummary(summary)}\n`);
  } finally {
    if (started) bar.stop();
    await store.close();
  }
}
