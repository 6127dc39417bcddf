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
import type { KeyIdentity } from './api-keys.ts';

export interface BodyBudgetPool {
  /** Bytes the bodies being read or answered now hold. */
  held(): number;
  readonly maxBytes: number;
  /** What one key's bodies may hold at once. */
  readonly keyBytes: number;
  /** A request's own account: what it takes counts against the pool and its key until `release`. */
  account(key: string): BodyBudget & { release(): void };
}

/** Bodies are read and decoded in milliseconds: a second later the budget has usually turned over. */
const RETRY_AFTER_SECONDS = 1;

/**
 * `maxBytes` over every key, and half of it for any one key (never less than
 * `largestBody`, so the largest body allowed can always pass): one key's
 * burst of large batches leaves room for the others.
 */
export function createBodyBudgetPool(maxBytes: number, largestBody = 0): BodyBudgetPool {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new Error(`body budget must be a positive whole number of bytes, got ${maxBytes}`);
  const keyBytes = Math.min(maxBytes, Math.max(largestBody, Math.floor(maxBytes / 2)));
  let held = 0;
  const byKey = new Map<string, number>();
  return {
    maxBytes,
    keyBytes,
    held: () => held,
    account(key) {
      let mine = 0;
      return {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        take(bytes) {
          if (held + bytes > maxBytes)
            return `request bodies being read at once would exceed ${maxBytes} bytes`;
          const keyHeld = byKey.get(key) ?? 0;
          if (keyHeld + bytes > keyBytes)
            return `this API key's request bodies being read at once would exceed its ${keyBytes} bytes`;
          held += bytes;
          byKey.set(key, keyHeld + bytes);
          mine += bytes;
          return undefined;
        },
        release() {
          held -= mine;
          const left = (byKey.get(key) ?? 0) - mine;
          if (left > 0) byKey.set(key, left);
          else byKey.delete(key);
          mine = 0;
        },
      };
    },
  };
}

export type BodyBudgetEnv = { Variables: { bodyBudget: BodyBudget; identity?: KeyIdentity } };

/**
 * Gives the route an account on `pool` as `bodyBudget` for its body reader,
 * and returns what the request took once it is answered: its decoded spans,
 * larger than the body, are held until the log has them.
 */
export function bodyBudget(options: { pool: BodyBudgetPool }): MiddlewareHandler<BodyBudgetEnv> {
  return async (c, next) => {
    // After apiKeyAuth: a request without a key (dev mode) shares one account.
    const account = options.pool.account(c.get('identity')?.keyId ?? '');
    c.set('bodyBudget', account);
    try {
      await next();
    } finally {
      account.release();
    }
  };
}
