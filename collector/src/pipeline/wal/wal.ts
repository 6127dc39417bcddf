import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import type { Checkpoint, WalRange } from './checkpoint.ts';
import { freshCheckpoint, readCheckpoint, syncDir, writeCheckpoint } from './checkpoint.ts';
import { WalClosedError, WalFullError, WalRecordTooLargeError, WalWriteError } from './errors.ts';
import { frameSize, HEADER_BYTES, MAX_RECORD_BYTES, parseFrame, writeFrame } from './record.ts';
import type { Segment } from './segments.ts';
import { listSegments, readAt, segmentPath, writeAllAt } from './segments.ts';

export type { WalRange } from './checkpoint.ts';

/** A byte offset in the log's single, ever-growing address space (never reused, across segments). */
export type WalPosition = number;

export interface WalEntry {
  position: WalPosition;
  /** Where the following entry starts: commit this to consume the entry. */
  next: WalPosition;
  payload: Buffer;
  /**
   * Set when the bytes at `position` fail their checksum in a sealed segment
   * (disk damage): `payload` is empty and `next` skips the rest of the segment.
   */
  corrupt?: string;
}

export interface WalOptions {
  dir: string;
  /** A segment is rolled once the next record would take it past this size (default 64 MiB). */
  segmentBytes?: number;
  /**
   * Appends are refused with `WalFullError` once this many bytes await
   * ClickHouse (default 1 GiB). Committed bytes do not count: the active
   * segment cannot be deleted while it is written to, so disk use may exceed
   * the cap by at most one segment.
   */
  maxBytes?: number;
  /** fsync each group commit, new segment and checkpoint (default true; off only for tests of other parts). */
  fsync?: boolean;
  /** What `WalFullError.retryAfterSeconds` suggests to clients (default 5). */
  retryAfterSeconds?: number;
}

export interface WalStats {
  bytesOnDisk: number;
  maxBytes: number;
  segments: number;
  uncommittedEntries: number;
  uncommittedBytes: number;
  /** Since open. */
  appendedEntries: number;
  appendedBytes: number;
  /** Since open. */
  committedEntries: number;
  committedPosition: WalPosition;
  endPosition: WalPosition;
  /** Appends waiting for the next group commit. */
  queuedAppends: number;
  /** Group commits (one write + one fsync each) since open. */
  groupCommits: number;
  /** Why the log stopped taking writes (a failed fsync, or a write it could not undo), else null. */
  failed: string | null;
  /** Appends refused since open because their bytes could not be written (the log went on). */
  writeFailures: number;
  /**
   * Why the last write was refused, for the Retry-After it told clients and
   * while no write has succeeded since (a disk that stays full); else null.
   * It lapses by itself: not ready, a collector gets no traffic to try with.
   */
  writeFailing: string | null;
}

interface QueuedAppend {
  payload: Uint8Array;
  resolve: (position: WalPosition) => void;
  reject: (err: Error) => void;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
/** One group commit writes at most this much per write call, so a burst does not build one huge buffer. */
const MAX_GROUP_BYTES = 16 * 1024 * 1024;

/**
 * Write-ahead log: checksummed records in segment files, group-committed
 * (concurrent appends share one write and one fsync), read back from a
 * checkpointed position, segments deleted once wholly committed.
 *
 * Readers only ever see fsynced bytes, so nothing a consumer has acted on can
 * vanish in a crash, and positions stay stable across restarts.
 */
export class Wal {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly maxBytes: number;
  private readonly fsync: boolean;
  private readonly retryAfterSeconds: number;

  private checkpoint: Checkpoint;
  private segments: Segment[];
  private activeHandle: FileHandle;
  private readHandle: { base: number; fh: FileHandle } | null = null;

  private queue: QueuedAppend[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private checkpointChain: Promise<void> = Promise.resolve();

  /** End positions of the uncommitted records, oldest first (from `endsHead` on). */
  private recordEnds: number[];
  private endsHead = 0;

  private appendedEntries = 0;
  private appendedBytes = 0;
  private committedEntries = 0;
  private groupCommits = 0;
  private writeFailures = 0;
  private writeFailing: string | null = null;
  private writeFailedAt = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    options: Required<WalOptions>,
    checkpoint: Checkpoint,
    segments: Segment[],
    activeHandle: FileHandle,
    recordEnds: number[],
  ) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes;
    this.maxBytes = options.maxBytes;
    this.fsync = options.fsync;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.checkpoint = checkpoint;
    this.segments = segments;
    this.activeHandle = activeHandle;
    this.recordEnds = recordEnds;
  }

  static async open(options: WalOptions): Promise<Wal> {
    const opts: Required<WalOptions> = {
      dir: options.dir,
      segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      fsync: options.fsync ?? true,
      retryAfterSeconds: options.retryAfterSeconds ?? 5,
    };
    if (opts.segmentBytes < HEADER_BYTES + 1) throw new RangeError('segmentBytes too small');
    if (opts.maxBytes < opts.segmentBytes) throw new RangeError('maxBytes must be at least segmentBytes');
    await mkdir(opts.dir, { recursive: true });

    let checkpoint = await readCheckpoint(opts.dir);
    const found = await listSegments(opts.dir);
    if (!checkpoint) {
      // Written before any segment exists, so the log id is fixed for the log's lifetime.
      checkpoint = freshCheckpoint(found[0]?.base ?? 0);
      await writeCheckpoint(opts.dir, checkpoint, opts.fsync);
    }
    const committed = checkpoint.committed;

    const segments: Segment[] = [];
    for (const [i, f] of found.entries()) {
      const { size } = await stat(f.path);
      const isLast = i === found.length - 1;
      if (!isLast && f.base + size <= committed) {
        await unlink(f.path);
        continue;
      }
      segments.push({ base: f.base, size, path: f.path });
    }

    const recordEnds: number[] = [];
    for (const seg of segments.slice(0, -1)) await countSealed(seg, committed, recordEnds);

    let activeHandle: FileHandle;
    const last = segments.at(-1);
    if (last) {
      activeHandle = await open(last.path, 'r+');
      await recoverTail(activeHandle, last, committed, recordEnds, opts.fsync);
    } else {
      const seg = { base: committed, size: 0, path: segmentPath(opts.dir, committed) };
      activeHandle = await open(seg.path, 'w');
      if (opts.fsync) await syncDir(opts.dir);
      segments.push(seg);
    }
    const wal = new Wal(opts, checkpoint, segments, activeHandle, recordEnds);
    // A pending range that no longer lies in the log (its bytes were lost) cannot be replayed.
    const pending = checkpoint.pending;
    if (pending && (pending.from !== committed || pending.to > wal.endPosition)) {
      await wal.stage(null);
    }
    return wal;
  }

  /** The log's identity, stable for its lifetime; part of every deduplication token. */
  get id(): string {
    return this.checkpoint.walId;
  }

  get committedPosition(): WalPosition {
    return this.checkpoint.committed;
  }

  /** End of the durable (fsynced) log: everything before it is readable. */
  get endPosition(): WalPosition {
    const active = this.active;
    return active.base + active.size;
  }

  /** The range a consumer declared in flight and has not committed yet (survives restarts). */
  get pending(): WalRange | null {
    return this.checkpoint.pending;
  }

  private get active(): Segment {
    const seg = this.segments.at(-1);
    if (!seg) throw new Error('WAL has no active segment');
    return seg;
  }

  private get bytesOnDisk(): number {
    let total = 0;
    for (const seg of this.segments) total += seg.size;
    return total;
  }

  /**
   * Appends one record; resolves with its position once its bytes are fsynced.
   * Appends made while a write is in progress are committed together by the next one.
   */
  append(payload: Uint8Array): Promise<WalPosition> {
    if (this.closed) return Promise.reject(new WalClosedError('WAL is closed'));
    if (this.failure) return Promise.reject(new WalClosedError(`WAL failed: ${this.failure.message}`));
    if (payload.byteLength > MAX_RECORD_BYTES)
      return Promise.reject(new WalRecordTooLargeError(payload.byteLength, MAX_RECORD_BYTES));
    const size = frameSize(payload.byteLength);
    // Never fits, however far the log drains: a 503 would have the client retry it forever.
    if (size > this.maxBytes) return Promise.reject(new WalRecordTooLargeError(size, this.maxBytes));
    if (this.endPosition - this.checkpoint.committed + this.queuedBytes + size > this.maxBytes) {
      return Promise.reject(
        new WalFullError(`WAL full (${this.maxBytes} bytes); retry later`, this.retryAfterSeconds),
      );
    }
    this.queuedBytes += size;
    const promise = new Promise<WalPosition>((resolve, reject) => {
      this.queue.push({ payload, resolve, reject });
    });
    if (!this.writing) this.writing = this.flushQueue();
    return promise;
  }

  private async flushQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      await this.writeGroup(group);
    }
    this.writing = null;
  }

  private async writeGroup(group: QueuedAppend[]): Promise<void> {
    let i = 0;
    while (i < group.length) {
      if (this.failure) {
        this.rejectFrom(group, i, new WalClosedError(`WAL failed: ${this.failure.message}`));
        return;
      }
      const first = group[i] as QueuedAppend;
      if (
        this.active.size > 0 &&
        this.active.size + frameSize(first.payload.byteLength) > this.segmentBytes
      ) {
        try {
          await this.roll();
        } catch (err) {
          if (err instanceof WalWriteError) {
            this.rejectFrom(group, i, err);
            return;
          }
          this.failure = err as Error;
          continue;
        }
      }
      const active = this.active;
      let j = i;
      let bytes = 0;
      do {
        bytes += frameSize((group[j] as QueuedAppend).payload.byteLength);
        j++;
      } while (
        j < group.length &&
        bytes + frameSize((group[j] as QueuedAppend).payload.byteLength) <= MAX_GROUP_BYTES &&
        active.size + bytes + frameSize((group[j] as QueuedAppend).payload.byteLength) <= this.segmentBytes
      );

      const buf = Buffer.allocUnsafe(bytes);
      const positions: number[] = [];
      let off = 0;
      for (let k = i; k < j; k++) {
        positions.push(active.base + active.size + off);
        off = writeFrame(buf, off, (group[k] as QueuedAppend).payload);
      }
      try {
        await writeAllAt(this.activeHandle, buf, active.size);
      } catch (err) {
        // None of the group is acknowledged: once its partial bytes are cut off
        // (durably, or a crash could bring back whole records the clients were
        // told failed), the log is as before and the next append may succeed.
        const restored = await this.activeHandle
          .truncate(active.size)
          .then(() => (this.fsync ? this.activeHandle.datasync() : undefined))
          .then(
            () => true,
            () => false,
          );
        if (!restored) this.failure = err as Error;
        this.rejectFrom(
          group,
          i,
          restored
            ? new WalWriteError(err, this.retryAfterSeconds)
            : new WalClosedError(`WAL write failed: ${(err as Error).message}`),
        );
        return;
      }
      if (this.fsync) {
        try {
          await this.activeHandle.datasync();
        } catch (err) {
          // After a failed fsync the kernel may have dropped the dirty pages: what
          // the file holds is unknown, so stop taking writes until a restart
          // recovers the log from what is really on disk.
          this.failure = err as Error;
          await this.activeHandle.truncate(active.size).catch(() => {});
          this.rejectFrom(group, i, new WalClosedError(`WAL write failed: ${(err as Error).message}`));
          return;
        }
      }
      active.size += bytes;
      this.writeFailing = null;
      this.groupCommits++;
      this.queuedBytes -= bytes;
      this.appendedEntries += j - i;
      this.appendedBytes += bytes;
      for (let k = i; k < j; k++) {
        const position = positions[k - i] as number;
        const entry = group[k] as QueuedAppend;
        this.recordEnds.push(position + frameSize(entry.payload.byteLength));
        entry.resolve(position);
      }
      i = j;
    }
  }

  private rejectFrom(group: QueuedAppend[], from: number, err: Error): void {
    if (err instanceof WalWriteError) {
      this.writeFailures += group.length - from;
      this.writeFailing = err.cause instanceof Error ? err.cause.message : String(err.cause);
      this.writeFailedAt = Date.now();
    }
    for (let k = from; k < group.length; k++) {
      const entry = group[k] as QueuedAppend;
      this.queuedBytes -= frameSize(entry.payload.byteLength);
      entry.reject(err);
    }
  }

  /**
   * Opens the next segment. A file that cannot be created changes nothing
   * (`WalWriteError`: the append waiting for it is refused, the next tries
   * again); a failure after it exists leaves the directory's state unknown.
   */
  private async roll(): Promise<void> {
    const base = this.endPosition;
    const seg: Segment = { base, size: 0, path: segmentPath(this.dir, base) };
    let fh: FileHandle;
    try {
      fh = await open(seg.path, 'wx');
    } catch (err) {
      throw new WalWriteError(err, this.retryAfterSeconds);
    }
    try {
      // The new file's directory entry must be durable before records in it are acknowledged.
      if (this.fsync) await syncDir(this.dir);
      await this.activeHandle.close();
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    this.activeHandle = fh;
    this.segments.push(seg);
  }

  /**
   * Up to `maxEntries` entries from `from` (a record boundary at or after the
   * committed position), stopping before `maxBytes` of records unless that
   * would return nothing. Empty when `from` is the end of the durable log.
   */
  async read(from: WalPosition, maxEntries: number, maxBytes: number): Promise<WalEntry[]> {
    if (this.closed) throw new WalClosedError('WAL is closed');
    const entries: WalEntry[] = [];
    let pos = from;
    let bytes = 0;
    let minRead = HEADER_BYTES;
    while (entries.length < maxEntries && bytes < maxBytes) {
      const seg = this.locate(pos);
      if (!seg) break;
      if (pos < seg.base) pos = seg.base;
      const segEnd = seg.base + seg.size;
      const length = Math.min(segEnd - pos, Math.max(maxBytes - bytes, READ_CHUNK_BYTES, minRead));
      const buf = await readAt(await this.readerFor(seg), pos - seg.base, length);
      minRead = HEADER_BYTES;
      let off = 0;
      while (off < buf.byteLength && entries.length < maxEntries) {
        const frame = parseFrame(buf, off);
        if (frame.kind === 'ok') {
          if (entries.length > 0 && bytes + frame.size > maxBytes) return entries;
          entries.push({ position: pos + off, next: pos + off + frame.size, payload: frame.payload });
          off += frame.size;
          bytes += frame.size;
          continue;
        }
        if (frame.kind === 'short' && pos + off + frame.need <= segEnd) {
          if (off === 0) minRead = frame.need;
          break;
        }
        const reason = frame.kind === 'corrupt' ? frame.reason : 'record runs past the end of its segment';
        entries.push({ position: pos + off, next: segEnd, payload: Buffer.alloc(0), corrupt: reason });
        off = segEnd - pos;
        break;
      }
      pos += off;
    }
    return entries;
  }

  /** The segment holding `pos`, or the next one when `pos` is a segment's end; null at the end of the log. */
  private locate(pos: WalPosition): Segment | null {
    const first = this.segments[0];
    if (first && pos < first.base) {
      throw new RangeError(`position ${pos} precedes the log (first segment starts at ${first.base})`);
    }
    for (const seg of this.segments) {
      if (pos < seg.base + seg.size) return seg;
    }
    return null;
  }

  private async readerFor(seg: Segment): Promise<FileHandle> {
    if (this.readHandle?.base === seg.base) return this.readHandle.fh;
    await this.readHandle?.fh.close();
    this.readHandle = null;
    const fh = await open(seg.path, 'r');
    this.readHandle = { base: seg.base, fh };
    return fh;
  }

  /**
   * Persists the range a consumer is about to act on, so that after a crash it
   * replays exactly these entries (and so reuses the same deduplication tokens).
   */
  stage(range: WalRange | null): Promise<void> {
    return this.saveCheckpoint({ ...this.checkpoint, pending: range });
  }

  /**
   * Marks everything before `position` consumed (atomically persisted), then
   * deletes the segments that lie wholly before it.
   */
  async commit(position: WalPosition): Promise<void> {
    if (this.closed) throw new WalClosedError('WAL is closed');
    if (position < this.checkpoint.committed) {
      throw new RangeError(`commit(${position}) goes back before ${this.checkpoint.committed}`);
    }
    if (position > this.endPosition)
      throw new RangeError(`commit(${position}) past the log end ${this.endPosition}`);
    const pending = this.checkpoint.pending;
    await this.saveCheckpoint({
      ...this.checkpoint,
      committed: position,
      pending: pending && pending.to > position ? pending : null,
    });
    while (this.endsHead < this.recordEnds.length && (this.recordEnds[this.endsHead] as number) <= position) {
      this.endsHead++;
      this.committedEntries++;
    }
    if (this.endsHead > 4096 && this.endsHead * 2 > this.recordEnds.length) {
      this.recordEnds = this.recordEnds.slice(this.endsHead);
      this.endsHead = 0;
    }
    await this.deleteCommittedSegments();
  }

  private saveCheckpoint(next: Checkpoint): Promise<void> {
    const run = this.checkpointChain.then(async () => {
      await writeCheckpoint(this.dir, next, this.fsync);
      this.checkpoint = next;
    });
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  private async deleteCommittedSegments(): Promise<void> {
    while (this.segments.length > 1) {
      const seg = this.segments[0] as Segment;
      if (seg.base + seg.size > this.checkpoint.committed) break;
      if (this.readHandle?.base === seg.base) {
        await this.readHandle.fh.close();
        this.readHandle = null;
      }
      this.segments.shift();
      await unlink(seg.path);
    }
  }

  stats(): WalStats {
    const end = this.endPosition;
    return {
      bytesOnDisk: this.bytesOnDisk,
      maxBytes: this.maxBytes,
      segments: this.segments.length,
      uncommittedEntries: this.recordEnds.length - this.endsHead,
      uncommittedBytes: end - this.checkpoint.committed,
      appendedEntries: this.appendedEntries,
      appendedBytes: this.appendedBytes,
      committedEntries: this.committedEntries,
      committedPosition: this.checkpoint.committed,
      endPosition: end,
      queuedAppends: this.queue.length,
      groupCommits: this.groupCommits,
      failed: this.failure?.message ?? null,
      writeFailures: this.writeFailures,
      writeFailing:
        Date.now() - this.writeFailedAt < this.retryAfterSeconds * 1000 ? this.writeFailing : null,
    };
  }

  /** Finishes the appends already accepted, then releases the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    await this.checkpointChain;
    await this.readHandle?.fh.close();
    this.readHandle = null;
    await this.activeHandle.close();
  }
}

/** Records uncommitted positions of a sealed segment by walking its headers. */
async function countSealed(seg: Segment, committed: number, ends: number[]): Promise<void> {
  if (seg.base + seg.size <= committed) return;
  const fh = await open(seg.path, 'r');
  try {
    let off = Math.max(0, committed - seg.base);
    while (off + HEADER_BYTES <= seg.size) {
      const header = await readAt(fh, off, HEADER_BYTES);
      const size = frameSize(header.readUInt32LE(0));
      // A damaged length: the reader reports the rest of the segment as one corrupt entry.
      if (size - HEADER_BYTES > MAX_RECORD_BYTES || off + size > seg.size) {
        ends.push(seg.base + seg.size);
        return;
      }
      off += size;
      ends.push(seg.base + off);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Scans the active segment and cuts it at the first short or corrupt record:
 * a crash mid-write leaves at most the bytes of appends never acknowledged.
 */
async function recoverTail(
  fh: FileHandle,
  seg: Segment,
  committed: number,
  ends: number[],
  fsync: boolean,
): Promise<void> {
  let off = 0;
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = 0;
  for (;;) {
    const frame = parseFrame(buf, off - bufStart);
    if (frame.kind === 'ok') {
      off += frame.size;
      if (seg.base + off > committed) ends.push(seg.base + off);
      continue;
    }
    // A record needing bytes beyond the file is torn; a corrupt one ends the trustworthy prefix.
    if (frame.kind === 'corrupt' || off + frame.need > seg.size) break;
    buf = await readAt(fh, off, Math.min(Math.max(frame.need, READ_CHUNK_BYTES * 4), seg.size - off));
    bufStart = off;
  }
  if (off < seg.size) {
    await fh.truncate(off);
    if (fsync) await fh.datasync();
    seg.size = off;
  }
}
