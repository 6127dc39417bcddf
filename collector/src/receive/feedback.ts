/**
 * POST /v1/feedback: a user's verdict on a trace or span, validated with the
 * SDK's own schema and written to the `feedback` table by a batching writer
 * (not through the write-ahead log: feedback is small, and the client retries).
 */
import { randomUUID } from 'node:crypto';
import { type Feedback, FeedbackSchema, feedbackKind } from '@oversight/conventions';
import type { Handler } from 'hono';
import type { z } from 'zod';
import { toFeedbackRow } from '../pipeline/transform/record-rows.ts';
import type { Row } from '../store/store.ts';
import type { AuthEnv } from './auth.ts';
import type { JsonBodyEnv } from './json-body.ts';

export const issuesText = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export function feedbackRoute(
  recordFeedback: (projectId: string, feedback: Feedback) => Promise<void>,
): Handler<{ Variables: AuthEnv['Variables'] & JsonBodyEnv['Variables'] }> {
  return async (c) => {
    const parsed = FeedbackSchema.safeParse(c.get('body'));
    if (!parsed.success) return c.json({ error: issuesText(parsed.error) }, 400);
    await recordFeedback(c.get('identity').projectId, parsed.data);
    return c.json({ ok: true }, 202);
  };
}

/**
 * Thumbs are 1 up / 0 down. An implicit signal without a value gets its usual
 * polarity (a copy approves the answer; a regenerate or an edit rejects it),
 * so `avg(value)` per kind reads the same way as for thumbs.
 */
const IMPLICIT_VALUE: Record<string, number> = { copy: 1, regenerate: 0, edit: 0, comment: 0 };

/** The `feedback` row for one accepted feedback document, filed under the key's project. */
export function feedbackRow(projectId: string, feedback: Feedback): Row {
  const kind = feedbackKind(feedback);
  const value =
    feedback.value === 'up'
      ? 1
      : feedback.value === 'down'
        ? 0
        : (feedback.value ?? IMPLICIT_VALUE[kind] ?? 0);
  return toFeedbackRow({
    id: feedback.id ?? randomUUID(),
    projectId,
    timestamp: Date.now(),
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
  });
}
