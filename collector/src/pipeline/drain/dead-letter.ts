import { open } from 'node:fs/promises';
import type { Row } from '../../store/store.ts';

/** Rows of one table of an entry that ClickHouse refused, `from`–`to` in the order the entry converts to. */
export interface RefusedRows {
  table: string;
  from: number;
  to: number;
  error: string;
  /** The refused rows as they were sent: the entry's other rows are stored, so replaying the payload would write those twice. */
  rows: Row[];
}

export interface DeadLetter {
  walId: string;
  position: number;
  next: number;
  reason: string;
  /** The raw WAL payload, base64, so an operator can decode or replay it by hand. */
  payload: string;
  /** Set when ClickHouse refused some of the entry's rows and stored the rest. */
  refused?: RefusedRows[];
}

/**
 * Appends entries the pipeline cannot convert to a JSON-lines file and fsyncs
 * it before the log moves past them. A crash between this and the commit
 * writes the same lines again: (walId, position) identifies duplicates.
 */
export async function writeDeadLetters(path: string, letters: DeadLetter[], fsync: boolean): Promise<void> {
  if (letters.length === 0) return;
  const at = new Date().toISOString();
  const text = letters.map((l) => `${JSON.stringify({ at, ...l })}\n`).join('');
  const fh = await open(path, 'a');
  try {
    await fh.writeFile(text);
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
}
