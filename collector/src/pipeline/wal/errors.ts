/** The log holds `maxBytes`; the caller should answer 503 with `Retry-After`. */
export class WalFullError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'WalFullError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The log is closed, or a write/fsync failed and its on-disk state can no longer be trusted. */
export class WalClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalClosedError';
  }
}

/**
 * One record larger than the log could ever hold (its record limit, or its
 * whole cap): retrying cannot help, so the caller should answer 413.
 */
export class WalRecordTooLargeError extends Error {
  readonly bytes: number;
  readonly limitBytes: number;
  constructor(bytes: number, limitBytes: number) {
    super(`record of ${bytes} bytes exceeds the log's ${limitBytes}`);
    this.name = 'WalRecordTooLargeError';
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}
