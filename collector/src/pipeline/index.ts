export { WalClosedError, WalFullError } from './wal/errors.ts';
export type { WalEntry, WalOptions, WalPosition, WalRange, WalStats } from './wal/wal.ts';
export { Wal } from './wal/wal.ts';
