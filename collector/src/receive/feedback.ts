/**
 * POST /v1/feedback: a user's verdict on a trace or span, validated with the
 * SDK's own schema and appended to the write-ahead log like spans, so it is
 * acknowledged only once durable and reaches the `feedback` table through the
 * drain (same deduplication tokens, same crash replay).
 */
import { randomUUID } from 'node:crypto';
import { type Feedback, FeedbackSchema, feedbackKind } from '@oversight/conventions';
import type { Handler } from 'hono';
import type { z } from 'zod';
import { type FeedbackEntry, IngestClosedError, WalClosedError, WalFullError } from '../pipeline/index.ts';
import { WalWriteError } from '../pipeline/wal/errors.ts';
import type { AuthEnv } from './auth.ts';
import type { JsonBodyEnv } from './json-body.ts';

// A restarting collector is usually back within seconds (as for /v1/traces).
const RETRY_AFTER_CLOSING_SECONDS = 5;

export const issuesText = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export interface FeedbackRouteOptions {
  /** Resolves once the feedback is durable (in the write-ahead log). */
  ingestFeedback(projectId: string, feedback: FeedbackEntry[]): Promise<void>;
  now?: () => number;
}

export function feedbackRoute(
  options: FeedbackRouteOptions,
): Handler<{ Variables: AuthEnv['Variables'] & JsonBodyEnv['Variables'] }> {
  const now = options.now ?? Date.now;
  return async (c) => {
    const parsed = FeedbackSchema.safeParse(c.get('body'));
    if (!parsed.success) return c.json({ error: issuesText(parsed.error) }, 400);
    try {
      await options.ingestFeedback(c.get('identity').projectId, [feedbackEntry(parsed.data, now())]);
    } catch (error) {
      // The SDK's feedback() retries a 503 after Retry-After, as OTLP exporters do for spans.
      if (error instanceof WalFullError) {
        c.header('retry-after', String(error.retryAfterSeconds));
        return c.json({ error: 'collector is at capacity (write-ahead log full); retry later' }, 503);
      }
      // Before the closed case: the log refused this append only (a disk full), and takes the retry.
      if (error instanceof WalWriteError) {
        c.header('retry-after', String(error.retryAfterSeconds));
        return c.json({ error: error.message }, 503);
      }
      if (error instanceof IngestClosedError || error instanceof WalClosedError) {
        c.header('retry-after', String(RETRY_AFTER_CLOSING_SECONDS));
        return c.json({ error: 'collector is shutting down; retry later' }, 503);
      }
      throw error;
    }
    return c.json({ ok: true }, 202);
  };
}

/**
 * Thumbs are 1 up / 0 down. An implicit signal without a value gets its usual
 * polarity (a copy approves the answer; a regenerate or an edit rejects it),
 * so `avg(value)` per kind reads the same way as for thumbs.
 */
const IMPLICIT_VALUE: Record<string, number> = { copy: 1, regenerate: 0, edit: 0, comment: 0 };

/**
 * The log entry for one accepted feedback document. Everything the row needs
 * is settled here, at receipt: a feedback without an id gets one now, so a
 * replay of the entry writes the same row rather than a second one.
 */
export function feedbackEntry(feedback: Feedback, receivedAt: number): FeedbackEntry {
  const kind = feedbackKind(feedback);
  const value =
    feedback.value === 'up'
      ? 1
      : feedback.value === 'down'
        ? 0
        : (feedback.value ?? IMPLICIT_VALUE[kind] ?? 0);
  return {
    id: feedback.id ?? randomUUID(),
    timestamp: receivedAt,
    traceId: feedback.traceId,
    ...(feedback.spanId ? { spanId: feedback.spanId } : {}),
    ...(feedback.userId ? { userId: feedback.userId } : {}),
    kind,
    value,
    ...(feedback.comment ? { comment: feedback.comment } : {}),
    ...(feedback.correction ? { correction: feedback.correction } : {}),
    ...(feedback.metadata
      ? { metadata: Object.fromEntries(Object.entries(feedback.metadata).map(([k, v]) => [k, String(v)])) }
      : {}),
  };
}
