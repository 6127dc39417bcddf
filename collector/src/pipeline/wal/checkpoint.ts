import { randomUUID } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const FILE = 'checkpoint.json';

const rangeSchema = z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() });

const checkpointSchema = z.object({
  version: z.literal(1),
  /** Names this log in deduplication tokens, so a wiped and recreated log never reuses old tokens. */
  walId: z.string().min(1),
  committed: z.number().int().nonnegative(),
  /** Entries being inserted right now: a restart replays exactly this range, with the same tokens. */
  pending: rangeSchema.nullable(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;
export type WalRange = z.infer<typeof rangeSchema>;

export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return checkpointSchema.parse(JSON.parse(text));
}

export function freshCheckpoint(committed: number): Checkpoint {
  return { version: 1, walId: randomUUID(), committed, pending: null };
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Temp file + fsync + rename + fsync of the directory: a crash leaves the old or the new checkpoint, whole. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint, fsync: boolean): Promise<void> {
  const target = join(dir, FILE);
  const temp = `${target}.tmp`;
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(JSON.stringify(checkpoint));
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(temp, target);
  if (fsync) await syncDir(dir);
}
