export type { IngestBatch } from './batch-codec.ts';
export { BatchDecodeError, decodeBatch, encodeBatch } from './batch-codec.ts';
export type { Drain, DrainHealth, DrainOptions, DrainStats, PositionedBatch, ToRows } from './drain.ts';
export { deduplicationToken, startDrain } from './drain.ts';
export type { Ingest, IngestHealth, IngestOptions } from './ingest.ts';
export { createIngest, IngestClosedError } from './ingest.ts';
export { WalClosedError, WalFullError } from './wal/errors.ts';
export type { WalEntry, WalOptions, WalPosition, WalRange, WalStats } from './wal/wal.ts';
export { Wal } from './wal/wal.ts';
