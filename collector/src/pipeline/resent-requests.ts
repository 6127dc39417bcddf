import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile, rename } from 'node:fs/promises';

/** A request of the window: its append, and whether it is known to have reached the log (only those are journalled). */
interface Accepted {
  appended: Promise<unknown>;
  logged: boolean;
}

/** A request taken before this process, or whose append is done. */
const LOGGED: Accepted = { appended: Promise.resolve(), logged: true };

/**
 * Requests the log has already taken, by their bytes, so that an exporter
 * resending one is answered without storing its spans a second time.
 *
 * An OTLP exporter that does not hear back in time (its timeout passed while
 * the log was fsyncing under load, or the connection dropped after the
 * append) sends the same request again, byte for byte: the OTel SDKs and the
 * Collector's exporter helper retry the request they marshalled. Every span
 * carries random ids and its own timestamps, so two requests with the same
 * bytes from one project are one request sent twice; `llm_spans` is a plain
 * MergeTree and the hourly roll-ups count on insert, so a second copy would
 * be counted everywhere.
 *
 * Memory is bounded by `capacity` digests (16,384 by default: ≈ 2 MiB, some
 * minutes of traffic at thousands of spans a second in batches of 512), the
 * oldest forgotten first.
 *
 * Opened on a journal (`ResentRequests.open`), the window outlives the
 * process: the exporter whose request was logged just before the collector
 * crashed or restarted resends it to the next process, which must know it too.
 * Each digest is written once its request is in the log and before the
 * request is answered; the log entry carries it too (batch-codec), for a crash
 * between the two. The journal is not fsynced, which would double the cost of
 * a group commit: a process crash keeps what the kernel has, and only a power
 * cut can lose its last seconds. It is rewritten to the window when it holds
 * twice as much.
 */
export class ResentRequests {
  private readonly accepted = new Map<string, Accepted>();
  private readonly capacity: number;
  private journal: Journal | null = null;

  constructor(capacity = 16_384) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity must be a positive integer, got ${capacity}`);
  }

  /**
   * A window kept in the journal at `path`, starting with the digests a
   * previous process wrote there. A journal that cannot be written is said
   * through `onError` once, and the window goes on in memory.
   */
  static async open(
    path: string,
    options: { capacity?: number; onError?: (error: Error) => void } = {},
  ): Promise<ResentRequests> {
    const resent = new ResentRequests(options.capacity);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A torn last line (the process died inside a write) is no digest.
    const lines = text.split('\n').slice(0, -1);
    let through: number | undefined;
    for (const [i, line] of lines.entries()) {
      const [digest, position] = line.split(' ');
      if (position !== undefined) through = Math.max(through ?? 0, Number(position));
      if (digest && i >= lines.length - resent.capacity) resent.remember(digest, LOGGED);
    }
    const fh = await open(path, 'a');
    // The next digest must start a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) await fh.write('\n');
    resent.journal = new Journal(path, fh, {
      lines: lines.length,
      capacity: resent.capacity,
      through,
      window: () => resent.logged(),
      onError: options.onError,
    });
    return resent;
  }

  /**
   * The log position of the newest request the journal holds: requests the
   * log took after it may have missed the journal (the process died between
   * the two writes), and are found by reading the log from there.
   */
  get journalledThrough(): number | undefined {
    return this.journal?.through;
  }

  /** The digest of one project's request body (after decompression). */
  static digest(projectId: string, body: Uint8Array): string {
    return createHash('sha256').update(projectId).update('\0').update(body).digest('base64');
  }

  get size(): number {
    return this.accepted.size;
  }

  /**
   * Appends through `append` unless the same request was taken before. A
   * resend that arrives while the first copy is still being appended waits
   * for it and shares its outcome; a copy whose append failed is forgotten,
   * so the exporter's next retry is appended.
   */
  async once(digest: string, append: () => Promise<unknown>): Promise<'appended' | 'resent'> {
    const earlier = this.accepted.get(digest);
    if (earlier) {
      await earlier.appended;
      return 'resent';
    }
    const entry: Accepted = { appended: append(), logged: false };
    this.remember(digest, entry);
    let position: unknown;
    try {
      position = await entry.appended;
    } catch (error) {
      if (this.accepted.get(digest) === entry) this.accepted.delete(digest);
      throw error;
    }
    entry.logged = true;
    await this.journal?.add(digest, typeof position === 'number' ? position : undefined);
    return 'appended';
  }

  /** Writes what is queued for the journal and closes it; the window stays usable in memory. */
  async close(): Promise<void> {
    const journal = this.journal;
    this.journal = null;
    await journal?.close();
  }

  /**
   * Requests the log holds from before this process (their entries' digests):
   * taken, whether or not the journal heard of them before the last process ended.
   */
  know(digests: Iterable<string>): void {
    for (const digest of digests) if (!this.accepted.has(digest)) this.remember(digest, LOGGED);
  }

  /**
   * The digests of the window whose requests reached the log, oldest first:
   * what a rewritten journal holds. One still being appended may yet fail,
   * and a journal naming it would have the next process drop its retry.
   */
  private *logged(): Generator<string> {
    for (const [digest, entry] of this.accepted) if (entry.logged) yield digest;
  }

  private remember(digest: string, entry: Accepted): void {
    this.accepted.set(digest, entry);
    if (this.accepted.size > this.capacity) {
      const oldest = this.accepted.keys().next().value as string;
      this.accepted.delete(oldest);
    }
  }
}

/**
 * The digests file: lines appended in one write per batch of requests
 * answered together, rewritten (to a temporary file, then renamed over it)
 * to the current window once it holds twice the window's lines. A line may
 * carry its request's log position after the digest; writes go in the order
 * the log's group commits resolve, so the newest position says how far the
 * journal has followed the log.
 */
class Journal {
  private queued: string[] = [];
  /** The write that will take what is queued now, once one is scheduled. */
  private next: Promise<void> | null = null;
  private last: Promise<void> = Promise.resolve();
  private failed = false;

  private readonly path: string;
  private fh: FileHandle;
  private lines: number;
  private readonly capacity: number;
  /** The window's digests that reached the log, oldest first: what a rewrite holds. */
  private readonly window: () => Iterable<string>;
  private readonly onError: ((error: Error) => void) | undefined;
  /** The newest log position written. */
  through: number | undefined;

  constructor(
    path: string,
    fh: FileHandle,
    options: {
      lines: number;
      capacity: number;
      through: number | undefined;
      window: () => Iterable<string>;
      onError: ((error: Error) => void) | undefined;
    },
  ) {
    this.path = path;
    this.fh = fh;
    this.lines = options.lines;
    this.capacity = options.capacity;
    this.through = options.through;
    this.window = options.window;
    this.onError = options.onError;
  }

  add(digest: string, position: number | undefined): Promise<void> {
    if (this.failed) return Promise.resolve();
    this.queued.push(position === undefined ? digest : `${digest} ${position}`);
    if (position !== undefined) this.through = Math.max(this.through ?? 0, position);
    if (!this.next) {
      this.next = this.last.then(() => this.write());
      this.last = this.next;
    }
    return this.next;
  }

  private async write(): Promise<void> {
    this.next = null;
    const digests = this.queued;
    this.queued = [];
    if (this.failed) return;
    try {
      if (this.lines + digests.length > 2 * this.capacity) {
        await this.rewrite([...this.window()]);
      } else {
        await this.fh.write(`${digests.join('\n')}\n`);
        this.lines += digests.length;
      }
    } catch (err) {
      // The requests are in the log: answering them is right; only a resend after a restart may now be stored twice.
      this.failed = true;
      this.onError?.(
        new Error(
          `resent-request journal ${this.path}: ${(err as Error).message}; resends after a restart may be stored twice`,
        ),
      );
    }
  }

  private async rewrite(digests: string[]): Promise<void> {
    // The window's digests, the last line carrying how far the journal has followed the log.
    if (this.through !== undefined && digests.length > 0) digests[digests.length - 1] += ` ${this.through}`;
    const temporary = `${this.path}.tmp`;
    const fh = await open(temporary, 'w');
    try {
      await fh.write(digests.length > 0 ? `${digests.join('\n')}\n` : '');
    } finally {
      await fh.close();
    }
    await rename(temporary, this.path);
    await this.fh.close();
    this.fh = await open(this.path, 'a');
    this.lines = digests.length;
  }

  async close(): Promise<void> {
    await this.last;
    await this.fh.close();
  }
}
