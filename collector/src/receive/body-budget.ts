/**
 * One budget for the request bodies held in memory at once, over every key.
 * Each request is bounded on its own (`--max-body-bytes`,
 * `--max-decompressed-bytes`), but nothing bounded how many were read at
 * once: a burst of large batches from many exporters could hold more memory
 * than the process has. The reader takes each chunk's bytes from the budget
 * as it keeps them, and the request gives them back when it is answered; a
 * body that would overdraw it is refused with 503 and Retry-After, which
 * OTel exporters honour, and nothing of it is kept.
 */
import type { MiddlewareHandler } from 'hono';
import type { BodyBudget } from '../otlp/index.ts';

export interface BodyBudgetPool {
  /** Bytes the bodies being read or answered now hold. */
  held(): number;
  readonly maxBytes: number;
  /** A request's own account: what it takes counts against the pool until `release`. */
  account(): BodyBudget & { release(): void };
}

/** Bodies are read and decoded in milliseconds: a second later the budget has usually turned over. */
const RETRY_AFTER_SECONDS = 1;

export function createBodyBudgetPool(maxBytes: number): BodyBudgetPool {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new Error(`body budget must be a positive whole number of bytes, got ${maxBytes}`);
  let held = 0;
  return {
    maxBytes,
    held: () => held,
    account() {
      let mine = 0;
      return {
        maxBytes,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        take(bytes) {
          if (held + bytes > maxBytes) return false;
          held += bytes;
          mine += bytes;
          return true;
        },
        release() {
          held -= mine;
          mine = 0;
        },
      };
    },
  };
}

export type BodyBudgetEnv = { Variables: { bodyBudget: BodyBudget } };

/**
 * Gives the route an account on `pool` as `bodyBudget` for its body reader,
 * and returns what the request took once it is answered: its decoded spans,
 * larger than the body, are held until the log has them.
 */
export function bodyBudget(options: { pool: BodyBudgetPool }): MiddlewareHandler<BodyBudgetEnv> {
  return async (c, next) => {
    const account = options.pool.account();
    c.set('bodyBudget', account);
    try {
      await next();
    } finally {
      account.release();
    }
  };
}
