import { open, readFile } from 'node:fs/promises';
import { z } from 'zod';

/** The file's name in the log directory, unless the drain is told another path. */
export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

/** Rows of one table of an entry that ClickHouse refused, `from`–`to` in the order the entry converts to. */
const RefusedRowsSchema = z.object({
  table: z.string(),
  from: z.number(),
  to: z.number(),
  error: z.string(),
  /** The refused rows as they were sent: the entry's other rows are stored, so replaying the payload would write those twice. */
  rows: z.array(z.record(z.string(), z.unknown())),
});
export type RefusedRows = z.infer<typeof RefusedRowsSchema>;

const DeadLetterSchema = z.object({
  walId: z.string(),
  position: z.number(),
  next: z.number(),
  reason: z.string(),
  /** The raw WAL payload, base64, so an operator can decode or replay it by hand. */
  payload: z.string(),
  /** Set when ClickHouse refused some of the entry's rows and stored the rest. */
  refused: z.array(RefusedRowsSchema).optional(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** A line of the file: the letter and when it was written. */
const LineSchema = DeadLetterSchema.extend({ at: z.string() });
export type DeadLetterLine = z.infer<typeof LineSchema>;

/** The file's letters, oldest first; none when there is no file. A line that is not one is an error naming it. */
export async function readDeadLetters(path: string): Promise<DeadLetterLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const letters: DeadLetterLine[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let parsed: ReturnType<typeof LineSchema.safeParse>;
    try {
      parsed = LineSchema.safeParse(JSON.parse(line));
    } catch (error) {
      throw new Error(`${path}:${i + 1}: not JSON (${(error as Error).message})`);
    }
    if (!parsed.success)
      throw new Error(`${path}:${i + 1}: not a dead letter (${parsed.error.issues[0]?.message})`);
    letters.push(parsed.data);
  }
  return letters;
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
