import type { Store } from '../store/store.ts';
import type { Drain, DrainOptions, ToRows } from './drain/drain.ts';
import { startDrain } from './drain/drain.ts';
import type { Ingest } from './ingest.ts';
import { createIngest } from './ingest.ts';
import type { WalOptions } from './wal/wal.ts';
import { Wal } from './wal/wal.ts';

export interface PipelineOptions {
  wal: WalOptions;
  store: Pick<Store, 'insert'>;
  toRows: ToRows;
  drain?: Omit<DrainOptions, 'wal' | 'store' | 'toRows'>;
}

export interface Pipeline {
  wal: Wal;
  drain: Drain;
  ingest: Ingest;
}

/** Opens (and recovers) the log and starts draining whatever it holds, then takes new requests. */
export async function openPipeline(options: PipelineOptions): Promise<Pipeline> {
  const wal = await Wal.open(options.wal);
  const drain = startDrain({ ...options.drain, wal, store: options.store, toRows: options.toRows });
  return { wal, drain, ingest: createIngest({ wal, drain }) };
}
