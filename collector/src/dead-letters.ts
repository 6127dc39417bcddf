/**
 * `oversight dead-letters`: what the drain set aside, read from the
 * dead-letter file beside the write-ahead log, without its raw payloads. Only
 * reads the file, so it is safe while the collector runs.
 */
import path from 'node:path';
import type { Config } from './config.ts';
import { DEAD_LETTER_FILE, type DeadLetterLine, readDeadLetters } from './pipeline/drain/dead-letter.ts';
import { walDirFor } from './service.ts';

/** A letter as listed: the payload's size, not its bytes. */
export interface ListedLetter extends Omit<DeadLetterLine, 'payload'> {
  payloadBytes: number;
}

export function deadLetterPath(config: Config): string {
  return path.join(walDirFor(config), DEAD_LETTER_FILE);
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
  const letters = (await readDeadLetters(file)).map(
    ({ payload, ...letter }): ListedLetter => ({
      ...letter,
      payloadBytes: Buffer.byteLength(payload, 'base64'),
    }),
  );
  return json ? letters.map((l) => `${JSON.stringify(l)}\n`).join('') : formatDeadLetters(file, letters);
}
