import type { FileHandle } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const SUFFIX = '.wal';
const DIGITS = 20;

/** A segment file is named after the log position of its first byte. */
export interface Segment {
  base: number;
  /** Bytes known durable (fsynced) in the file. */
  size: number;
  path: string;
}

export function segmentPath(dir: string, base: number): string {
  return join(dir, `${String(base).padStart(DIGITS, '0')}${SUFFIX}`);
}

export async function listSegments(dir: string): Promise<{ base: number; path: string }[]> {
  const names = await readdir(dir);
  const found: { base: number; path: string }[] = [];
  for (const name of names) {
    if (!name.endsWith(SUFFIX)) continue;
    const stem = name.slice(0, -SUFFIX.length);
    if (!/^\d+$/.test(stem)) continue;
    found.push({ base: Number(stem), path: join(dir, name) });
  }
  return found.sort((a, b) => a.base - b.base);
}

/** Positional read of exactly `length` bytes (fewer only at end of file). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export async function writeAllAt(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, done, buf.byteLength - done, position + done);
    done += bytesWritten;
  }
}
