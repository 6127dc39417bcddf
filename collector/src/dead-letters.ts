/**
 * `oversight dead-letters`: what the drain set aside, read from the
 * dead-letter file beside the write-ahead log, without its raw payloads. Only
 * reads the file, so it is safe while the collector runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from './config.ts';
import { walDirFor } from './service.ts';

const LetterSchema = z.object({
  at: z.string(),
  walId: z.string(),
  position: z.number(),
  next: z.number(),
  reason: z.string(),
  payload: z.string(),
  refused: z
    .array(
      z.object({
        table: z.string(),
        from: z.number(),
        to: z.number(),
        error: z.string(),
        rows: z.array(z.record(z.string(), z.unknown())),
      }),
    )
    .optional(),
});

/** A letter as listed: the payload's size, not its bytes. */
export interface ListedLetter extends Omit<z.infer<typeof LetterSchema>, 'payload'> {
  payloadBytes: number;
}

export function deadLetterPath(config: Config): string {
  return path.join(walDirFor(config), 'dead-letter.jsonl');
}

/** The file's letters, oldest first; a line that is not one is an error naming its line number. */
export async function readDeadLetters(file: string): Promise<ListedLetter[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const letters: ListedLetter[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let parsed: ReturnType<typeof LetterSchema.safeParse>;
    try {
      parsed = LetterSchema.safeParse(JSON.parse(line));
    } catch (error) {
      throw new Error(`${file}:${i + 1}: not JSON (${(error as Error).message})`);
    }
    if (!parsed.success)
      throw new Error(`${file}:${i + 1}: not a dead letter (${parsed.error.issues[0]?.message})`);
    const { payload, ...letter } = parsed.data;
    letters.push({ ...letter, payloadBytes: Buffer.byteLength(payload, 'base64') });
  }
  return letters;
}

/** Where a refused row came from, by the ids a row of the span tables carries. */
function rowIds(row: Record<string, unknown>): string {
  const ids = [
    ['trace', row.TraceId ?? row.trace_id],
    ['span', row.SpanId ?? row.span_id],
  ].filter(([, id]) => typeof id === 'string' && id !== '');
  return ids.length === 0 ? '' : ` (${ids.map(([name, id]) => `${name} ${id}`).join(', ')})`;
}

export function formatDeadLetters(file: string, letters: readonly ListedLetter[]): string {
  if (letters.length === 0) return `no dead letters in ${file}\n`;
  const n = letters.length;
  const lines = [`${n} accepted request${n === 1 ? '' : 's'} set aside in ${file}`, ''];
  for (const letter of letters) {
    lines.push(`${letter.at}  log ${letter.walId} at ${letter.position}  ${letter.payloadBytes} bytes`);
    lines.push(`  ${letter.reason.split('\n')[0]}`);
    for (const refused of letter.refused ?? [])
      for (const [i, row] of refused.rows.entries())
        lines.push(`  refused: ${refused.table} row ${refused.from + i}${rowIds(row)}`);
  }
  lines.push(
    '',
    'Each line of the file also holds the request as received (payload, base64) and the refused rows as sent.',
  );
  return `${lines.join('\n')}\n`;
}

export async function runDeadLetters(config: Config, json: boolean): Promise<string> {
  const file = deadLetterPath(config);
  const letters = await readDeadLetters(file);
  return json ? letters.map((l) => `${JSON.stringify(l)}\n`).join('') : formatDeadLetters(file, letters);
}
