/** The log holds `maxBytes`; the caller should answer 503 with `Retry-After`. */
export class WalFullError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'WalFullError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The log is closed, or an fsync failed and its on-disk state can no longer be
 * trusted; or, as its subclass `WalWriteError`, this one append could not be
 * written and the next may be.
 */
export class WalClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalClosedError';
  }
}

/**
 * An append's bytes could not be written (a full disk, too many open files)
 * and were cut off again, so the log is as it was and takes the next append:
 * the caller should answer 503 with `Retry-After`. A `WalClosedError`, so a
 * caller that knows only that one still answers "retry later".
 */
export class WalWriteError extends WalClosedError {
  readonly retryAfterSeconds: number;
  /** The system error code (`ENOSPC`, `EMFILE`, …), when there is one. */
  readonly code: string | undefined;
  constructor(cause: unknown, retryAfterSeconds: number) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`log cannot write: ${reason}; retry later`);
    this.name = 'WalWriteError';
    this.cause = cause;
    this.retryAfterSeconds = retryAfterSeconds;
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
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
