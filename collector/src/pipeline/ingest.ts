import { setTimeout as delay } from 'node:timers/promises';
import type { SpanRecord } from '../otlp/span-record.ts';
import { encodeBatch, type FeedbackEntry, type IngestBatch } from './batch-codec.ts';
import type { Drain, DrainHealth } from './drain/drain.ts';
import { ResentRequests } from './resent-requests.ts';
import { WalFullError } from './wal/errors.ts';
import type { Wal, WalPosition, WalStats } from './wal/wal.ts';

/** Intake has stopped (shutting down): the server answers 503 so the exporter retries elsewhere or later. */
export class IngestClosedError extends Error {
  constructor() {
    super('collector is shutting down');
    this.name = 'IngestClosedError';
  }
}

export interface IngestHealth extends DrainHealth {
  /** Taking requests: not shutting down, and the log has room. */
  ready: boolean;
  accepting: boolean;
  /** The last append was refused for lack of room, or the log is within 5 % of its cap. */
  walFull: boolean;
  /** Why `ready` is false, or what is degraded (store down while the log absorbs the load). */
  reasons: string[];
  wal: WalStats;
}

export interface Ingest {
  /**
   * Resolves once the spans are durable in the log; rejects with `WalFullError`
   * or `IngestClosedError`. Given the request's digest (`ResentRequests.digest`),
   * a request the log already took is not appended again: `'resent'`.
   */
  ingest(projectId: string, spans: SpanRecord[], digest?: string): Promise<'appended' | 'resent'>;
  /** The same for a feedback request: one log entry with no spans, durable when this resolves. */
  ingestFeedback(projectId: string, feedback: FeedbackEntry[]): Promise<void>;
  health(): IngestHealth;
  /**
   * Stops intake, waits for appends in flight, gives the drain up to
   * `drainTimeoutMs` (default 10 s) to insert what is logged, then stops it and
   * closes the log. What is left stays in the log for the next start.
   */
  stop(options?: { drainTimeoutMs?: number }): Promise<{ drained: boolean }>;
}

export interface IngestOptions {
  wal: Wal;
  drain: Drain;
  now?: () => number;
  /** How many accepted requests are remembered to recognise a resend (`ResentRequests`). */
  resentWindow?: number;
  /** The window itself, when it is kept in a journal (`ResentRequests.open`); closed by `stop()`. */
  resent?: ResentRequests;
}

const NEARLY_FULL = 0.95;

export function createIngest({
  wal,
  drain,
  now = Date.now,
  resentWindow,
  resent = new ResentRequests(resentWindow),
}: IngestOptions): Ingest {
  let accepting = true;
  // The committed position at the last refused append: the log counts as
  // full until the drain moves past it, so readiness recovers on its own
  // instead of waiting for a request that a load balancer would never send.
  let fullAtCommitted: number | null = null;
  const inFlight = new Set<Promise<unknown>>();
  let stopped: Promise<{ drained: boolean }> | null = null;

  /** Resolves with the entry's log position once it is durable. */
  async function append(batch: IngestBatch): Promise<WalPosition> {
    if (!accepting) throw new IngestClosedError();
    const appended = wal.append(encodeBatch(batch));
    inFlight.add(appended);
    let position: WalPosition;
    try {
      position = await appended;
      fullAtCommitted = null;
    } catch (err) {
      if (err instanceof WalFullError) fullAtCommitted = wal.committedPosition;
      throw err;
    } finally {
      inFlight.delete(appended);
    }
    drain.wake();
    return position;
  }

  return {
    async ingest(projectId, spans, digest) {
      if (digest === undefined) {
        await append({ projectId, receivedAt: now(), spans });
        return 'appended';
      }
      const appendSpans = () => append({ projectId, receivedAt: now(), spans, digest });
      return resent.once(digest, appendSpans);
    },

    async ingestFeedback(projectId, feedback) {
      await append({ projectId, receivedAt: now(), spans: [], feedback });
    },

    health() {
      const walStats = wal.stats();
      const drainHealth = drain.health();
      const walFull =
        fullAtCommitted === walStats.committedPosition ||
        walStats.uncommittedBytes >= walStats.maxBytes * NEARLY_FULL;
      const reasons: string[] = [];
      if (!accepting) reasons.push('shutting down');
      if (walFull) reasons.push('write-ahead log full');
      if (walStats.failed) reasons.push(`write-ahead log failed: ${walStats.failed}`);
      // Not ready while writes keep failing (a disk that stays full): a balancer should send the
      // traffic elsewhere. The next write that succeeds clears it.
      if (walStats.writeFailing) reasons.push(`write-ahead log cannot write: ${walStats.writeFailing}`);
      if (!drainHealth.storeHealthy)
        reasons.push(`store unavailable: ${drainHealth.lastError ?? 'unknown error'}`);
      return {
        ...drainHealth,
        ready: accepting && !walFull && !walStats.failed && !walStats.writeFailing,
        accepting,
        walFull,
        reasons,
        wal: walStats,
      };
    },

    stop(options = {}) {
      stopped ??= (async () => {
        accepting = false;
        await Promise.allSettled([...inFlight]);
        await resent.close();
        const timeoutMs = options.drainTimeoutMs ?? 10_000;
        const drained = await drain.waitForDrain(timeoutMs);
        // An insert hung on an unresponsive server must not hold shutdown: its round replays on the next start.
        await Promise.race([drain.stop(), delay(timeoutMs, undefined, { ref: false })]);
        await wal.close();
        return { drained };
      })();
      return stopped;
    },
  };
}
