import { mkdtemp, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalFullError, WalRecordTooLargeError } from '../../src/pipeline/wal/errors.ts';
import { HEADER_BYTES } from '../../src/pipeline/wal/record.ts';
import type { WalEntry } from '../../src/pipeline/wal/wal.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wal-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => new TextEncoder().encode(s);

async function readAll(wal: Wal, from = wal.committedPosition): Promise<WalEntry[]> {
  const out: WalEntry[] = [];
  let pos = from;
  for (;;) {
    const batch = await wal.read(pos, 1000, 1 << 20);
    if (batch.length === 0) return out;
    out.push(...batch);
    pos = (batch.at(-1) as WalEntry).next;
  }
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

describe('Wal', () => {
  it('reads back appended payloads in order, with contiguous positions', async () => {
    const wal = await Wal.open({ dir });
    const p1 = await wal.append(text('alpha'));
    const p2 = await wal.append(text('beta'));
    expect(p1).toBe(0);
    expect(p2).toBe(HEADER_BYTES + 5);
    const entries = await readAll(wal);
    expect(entries.map((e) => Buffer.from(e.payload).toString())).toEqual(['alpha', 'beta']);
    expect(entries[0]?.next).toBe(p2);
    expect(entries[1]?.next).toBe(wal.endPosition);
    await wal.close();
  });

  it('honours maxEntries and maxBytes, but always returns at least one entry', async () => {
    const wal = await Wal.open({ dir });
    for (let i = 0; i < 10; i++) await wal.append(new Uint8Array(100).fill(i));
    expect(await wal.read(0, 3, 1 << 20)).toHaveLength(3);
    expect(await wal.read(0, 100, 250)).toHaveLength(2);
    const one = await wal.read(0, 100, 1);
    expect(one).toHaveLength(1);
    expect(one[0]?.payload[0]).toBe(0);
    await wal.close();
  });

  it('resumes from the committed position after reopening', async () => {
    const wal = await Wal.open({ dir });
    for (const s of ['a', 'b', 'c']) await wal.append(text(s));
    const [first] = await wal.read(0, 1, 1 << 20);
    await wal.commit((first as WalEntry).next);
    await wal.close();

    const again = await Wal.open({ dir });
    expect(again.stats().uncommittedEntries).toBe(2);
    expect((await readAll(again)).map((e) => Buffer.from(e.payload).toString())).toEqual(['b', 'c']);
    const p = await again.append(text('d'));
    expect(p).toBe(3 * (HEADER_BYTES + 1));
    await again.close();
  });

  it('rolls segments and deletes the ones wholly committed', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 100_000 });
    for (let i = 0; i < 30; i++) await wal.append(new Uint8Array(92).fill(i)); // 100-byte frames
    expect(await segmentFiles()).toHaveLength(3);
    expect(wal.stats()).toMatchObject({ segments: 3, bytesOnDisk: 3000, uncommittedEntries: 30 });

    const entries = await readAll(wal);
    expect(entries.map((e) => e.payload[0])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await wal.commit((entries[14] as WalEntry).next); // halfway through the second segment
    expect(await segmentFiles()).toHaveLength(2);
    await wal.commit((entries[29] as WalEntry).next);
    // The active segment stays even when fully committed; the next roll retires it.
    expect(await segmentFiles()).toEqual(['00000000000000002000.wal']);
    expect(wal.stats()).toMatchObject({ uncommittedEntries: 0, committedEntries: 30, bytesOnDisk: 1000 });
    await wal.close();

    const again = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 100_000 });
    expect(await again.append(new Uint8Array(92))).toBe(3000);
    expect(await segmentFiles()).toEqual(['00000000000000002000.wal', '00000000000000003000.wal']);
    await again.close();
  });

  it('refuses appends past maxBytes with WalFullError, and accepts again after a commit frees space', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 2000, retryAfterSeconds: 7 });
    const accepted: number[] = [];
    let full: unknown;
    for (let i = 0; i < 25; i++) {
      try {
        accepted.push(await wal.append(new Uint8Array(92)));
      } catch (err) {
        full = err;
        break;
      }
    }
    expect(accepted).toHaveLength(20);
    expect(full).toBeInstanceOf(WalFullError);
    expect((full as WalFullError).retryAfterSeconds).toBe(7);

    const entries = await readAll(wal);
    await wal.commit((entries[9] as WalEntry).next); // frees the first segment
    expect(await wal.append(new Uint8Array(92))).toBe(2000);
    await wal.close();
  });

  it('refuses a record larger than the whole cap as too large, not full, and stays writable', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 1000 });
    const refused = await wal.append(new Uint8Array(1000)).catch((err: unknown) => err);
    // Header included, 1,008 bytes could never fit: retrying would never help.
    expect(refused).toBeInstanceOf(WalRecordTooLargeError);
    expect(refused).toMatchObject({ bytes: 1008, limitBytes: 1000 });
    expect(await wal.append(new Uint8Array(92))).toBe(0);
    await wal.close();
  });

  it('counts only uncommitted bytes against the cap, so a drained log takes writes again', async () => {
    // Cap equal to one segment: the active segment cannot be deleted, yet once
    // everything in it is committed the log must not stay full.
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 1000 });
    let accepted = 0;
    await expect(
      (async () => {
        for (;;) {
          await wal.append(new Uint8Array(92));
          accepted++;
        }
      })(),
    ).rejects.toBeInstanceOf(WalFullError);
    expect(accepted).toBe(10);
    await wal.commit(wal.endPosition);
    expect(wal.stats().uncommittedBytes).toBe(0);
    await expect(wal.append(new Uint8Array(92))).resolves.toBe(1000);
    await wal.close();
  });

  it('counts concurrent appends against the cap before they are written', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 1000 });
    const results = await Promise.allSettled(
      Array.from({ length: 15 }, () => wal.append(new Uint8Array(92))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(5);
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WalFullError);
    expect((await stat(join(dir, '00000000000000000000.wal'))).size).toBe(1000);
    await wal.close();
  });

  it('group-commits concurrent appends: each gets a distinct position holding its own payload', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 64 * 1024 });
    const n = 2000;
    const payloads = Array.from({ length: n }, (_, i) => text(`record-${i}-${'x'.repeat(i % 97)}`));
    const positions = await Promise.all(payloads.map((p) => wal.append(p)));
    expect(new Set(positions).size).toBe(n);
    const byPosition = new Map(
      (await readAll(wal)).map((e) => [e.position, Buffer.from(e.payload).toString()]),
    );
    expect(byPosition.size).toBe(n);
    positions.forEach((pos, i) => {
      expect(byPosition.get(pos)).toBe(Buffer.from(payloads[i] as Uint8Array).toString());
    });
    expect(wal.stats()).toMatchObject({ appendedEntries: n, uncommittedEntries: n });
    // All but the first were queued while the first was being written: they share writes, one per segment.
    const { groupCommits, segments } = wal.stats();
    expect(groupCommits).toBeLessThanOrEqual(segments + 1);
    expect((await segmentFiles()).length).toBeGreaterThan(1);
    await wal.close();
  });

  it('truncates a torn tail on open and keeps every complete record', async () => {
    const wal = await Wal.open({ dir });
    for (const s of ['one', 'two', 'three']) await wal.append(text(s));
    const end = wal.endPosition;
    await wal.close();
    const file = join(dir, '00000000000000000000.wal');
    await truncate(file, end - 2); // crash in the middle of the last record

    const again = await Wal.open({ dir });
    expect(again.endPosition).toBe(end - (HEADER_BYTES + 5));
    expect((await stat(file)).size).toBe(again.endPosition);
    expect((await readAll(again)).map((e) => Buffer.from(e.payload).toString())).toEqual(['one', 'two']);
    // The log goes on from the cut.
    const p = await again.append(text('four'));
    expect(p).toBe(end - (HEADER_BYTES + 5));
    expect((await readAll(again)).map((e) => Buffer.from(e.payload).toString())).toEqual([
      'one',
      'two',
      'four',
    ]);
    await again.close();
  });

  it('truncates at a record whose byte was flipped', async () => {
    const wal = await Wal.open({ dir });
    for (const s of ['one', 'two', 'three']) await wal.append(text(s));
    await wal.close();
    const file = join(dir, '00000000000000000000.wal');
    const fh = await open(file, 'r+');
    const secondPayload = HEADER_BYTES + 3 + HEADER_BYTES;
    await fh.write(Buffer.from('X'), 0, 1, secondPayload + 1);
    await fh.close();

    const again = await Wal.open({ dir });
    expect((await readAll(again)).map((e) => Buffer.from(e.payload).toString())).toEqual(['one']);
    expect(again.stats().uncommittedEntries).toBe(1);
    await again.close();
  });

  it('reports a damaged record in a sealed segment as one corrupt entry and goes on with the next segment', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 10_000 });
    for (let i = 0; i < 15; i++) await wal.append(new Uint8Array(92).fill(i));
    await wal.close();
    const fh = await open(join(dir, '00000000000000000000.wal'), 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, 3 * 100 + HEADER_BYTES + 10); // inside the 4th record
    await fh.close();

    const again = await Wal.open({ dir, segmentBytes: 1000, maxBytes: 10_000 });
    const entries = await readAll(again);
    expect(entries.filter((e) => !e.corrupt).map((e) => e.payload[0])).toEqual([0, 1, 2, 10, 11, 12, 13, 14]);
    const bad = entries.filter((e) => e.corrupt);
    expect(bad).toEqual([
      { position: 300, next: 1000, payload: Buffer.alloc(0), corrupt: 'checksum mismatch' },
    ]);
    await again.close();
  });

  it('keeps a staged range across reopen until it is committed', async () => {
    const wal = await Wal.open({ dir });
    await wal.append(text('a'));
    const end = wal.endPosition;
    await wal.stage({ from: 0, to: end });
    await wal.close();

    const again = await Wal.open({ dir });
    expect(again.pending).toEqual({ from: 0, to: end });
    const id = again.id;
    await again.commit(end);
    expect(again.pending).toBeNull();
    const saved = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(saved).toMatchObject({ walId: id, committed: end, pending: null });
    await again.close();
  });

  it('starts an emptied log at the committed position, never reusing positions', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 100, maxBytes: 10_000 });
    for (let i = 0; i < 3; i++) await wal.append(new Uint8Array(92));
    await wal.commit(wal.endPosition);
    await wal.close();
    for (const f of await segmentFiles()) await rm(join(dir, f));

    const again = await Wal.open({ dir, segmentBytes: 100, maxBytes: 10_000 });
    expect(await again.append(new Uint8Array(1))).toBe(300);
    await again.close();
  });

  it('rejects a commit beyond the end of the log', async () => {
    const wal = await Wal.open({ dir });
    await wal.append(text('a'));
    await expect(wal.commit(wal.endPosition + 1)).rejects.toThrow(RangeError);
    await wal.close();
  });
});
