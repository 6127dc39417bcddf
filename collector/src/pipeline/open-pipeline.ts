import { join } from 'node:path';
import type { Store } from '../store/store.ts';
import { batchDigest } from './batch-codec.ts';
import type { Drain, DrainOptions, ToRows } from './drain/drain.ts';
import { startDrain } from './drain/drain.ts';
import type { Ingest } from './ingest.ts';
import { createIngest } from './ingest.ts';
import { ResentRequests } from './resent-requests.ts';
import type { WalOptions } from './wal/wal.ts';
import { Wal } from './wal/wal.ts';

export interface PipelineOptions {
  wal: WalOptions;
  store: Pick<Store, 'insert'>;
  toRows: ToRows;
  drain?: Omit<DrainOptions, 'wal' | 'store' | 'toRows'>;
  /** Told once if the resent-request journal cannot be written (the window goes on in memory). */
  onJournalError?: (error: Error) => void;
}

export interface Pipeline {
  wal: Wal;
  drain: Drain;
  ingest: Ingest;
}

/** The digests of the requests the log took lately, in the log's directory. */
export const RESENT_JOURNAL = 'resent-requests.log';

/** Opens (and recovers) the log and starts draining whatever it holds, then takes new requests. */
export async function openPipeline(options: PipelineOptions): Promise<Pipeline> {
  const wal = await Wal.open(options.wal);
  // Beside the log it guards: a request the log took is known as taken by the next process too.
  const resent = await ResentRequests.open(join(wal.dir, RESENT_JOURNAL), {
    onError: options.onJournalError,
  });
  // The journal is written just after an entry is logged: a crash between the two leaves the digest in the log only.
  resent.know(await digestsLoggedAfter(wal, resent.journalledThrough));
  const drain = startDrain({ ...options.drain, wal, store: options.store, toRows: options.toRows });
  return { wal, drain, ingest: createIngest({ wal, drain, resent }) };
}

/**
 * The digests of the requests in the log from `position` on (from the first
 * the drain has not committed, when earlier), oldest first: the journal's
 * newest position is at most a group commit behind the log's end, so this
 * reads a few entries, not a backlog.
 */
async function digestsLoggedAfter(wal: Wal, position: number | undefined): Promise<string[]> {
  const digests: string[] = [];
  let from = Math.max(wal.committedPosition, position ?? 0);
  for (;;) {
    const entries = await wal.read(from, 4096, 64 * 1024 ** 2);
    const last = entries.at(-1);
    if (!last) return digests;
    for (const entry of entries) {
      const digest = entry.corrupt ? undefined : batchDigest(entry.payload);
      if (digest !== undefined) digests.push(digest);
    }
    from = last.next;
  }
}
