/**
 * The `export-preferences` subcommand's action: opens the configured store
 * (its rows are only read, with readonly=1; DPO also writes and drops a work
 * table of its own), streams the export, draws a progress bar on a terminal and
 * prints the summary to stderr so stdout can be the JSONL itself.
 */
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { openConfiguredStore } from '../service.ts';
import { exportPreferences, formatSummary, withOutput } from './export-preferences.ts';
import { EXPORT_FORMATS } from './formats.ts';

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
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const { out, ...options } = parsed.data;
  const store = await openConfiguredStore(config);
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'exporting {bar} {value} rated generations read ({total} feedback rows) | {duration_formatted}',
    hideCursor: true,
  });
  let started = false;
  try {
    const summary = await withOutput(out, (sink) =>
      exportPreferences(store, sink, {
        ...options,
        onProgress: (read, total) => {
          if (!started) {
            bar.start(total, 0);
            started = true;
          }
          bar.update(Math.min(read, total));
        },
      }),
    );
    if (started) bar.stop();
    process.stderr.write(`${formatSummary(summary)}\n`);
  } finally {
    if (started) bar.stop();
    await store.close();
  }
}
