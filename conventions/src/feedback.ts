/**
 * The body of `POST /v1/feedback`: thumbs up/down or a score, with an optional
 * comment, or an implicit signal (regenerate, copy, edit), linked to a trace. The SDK's `feedback()` checks it before sending
 * and the collector validates with the same schema, so they cannot disagree
 * on the shape.
 */
import { z } from 'zod';

const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A W3C trace/span id: any case in, lower case out; the all-zero id is invalid per the spec. */
function hexId(pattern: RegExp, zero: string, message: string) {
  return z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(
      z
        .string()
        .regex(pattern, message)
        .refine((s) => s !== zero),
    );
}

/**
 * `thumbs` and `score` are explicit ratings (inferred from `value` when no
 * kind is given); `regenerate`, `copy` and `edit` are implicit signals an app
 * reports from its UI, kept apart so they never dilute the thumbs.
 */
export const FEEDBACK_KINDS = ['thumbs', 'score', 'comment', 'regenerate', 'copy', 'edit'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];
const IMPLICIT_KINDS: ReadonlySet<string> = new Set(['regenerate', 'copy', 'edit', 'comment']);

export const FeedbackSchema = z
  .object({
    /**
     * Idempotency key: the same id sent twice is one piece of feedback (the
     * `feedback` table collapses on it). `feedback()` sets one per call, so a
     * retried request never counts twice; other senders may pass their own.
     */
    id: z.string().min(1).max(128).optional(),
    traceId: hexId(HEX_TRACE_ID, ZERO_TRACE_ID, 'traceId must be 32 hex characters'),
    spanId: hexId(HEX_SPAN_ID, ZERO_SPAN_ID, 'spanId must be 16 hex characters').optional(),
    /**
     * `up` / `down`, or a numeric score on whatever scale the app uses (1-5 stars, 0-1).
     * Required for ratings; optional for the implicit kinds.
     */
    value: z.union([z.enum(['up', 'down']), z.number().finite()]).optional(),
    kind: z.enum(FEEDBACK_KINDS).optional(),
    /** For `kind: 'edit'`: the answer as the user corrected it (the preferred answer in a DPO pair). */
    correction: z.string().min(1).max(100_000).optional(),
    comment: z.string().max(10_000).optional(),
    userId: z.string().min(1).max(256).optional(),
    metadata: z
      .record(z.string().max(128), z.union([z.string().max(1_000), z.number(), z.boolean()]))
      .optional(),
  })
  .superRefine((f, ctx) => {
    const kind =
      f.kind ?? (f.value === undefined ? undefined : typeof f.value === 'number' ? 'score' : 'thumbs');
    if (kind === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'value is required unless kind is regenerate, copy, edit or comment',
      });
      return;
    }
    if (!IMPLICIT_KINDS.has(kind) && f.value === undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `value is required for kind ${kind}` });
    if (kind === 'thumbs' && f.value !== undefined && typeof f.value !== 'string')
      ctx.addIssue({ code: 'custom', path: ['value'], message: "thumbs take 'up' or 'down'" });
    if (kind === 'edit' && f.correction === undefined)
      ctx.addIssue({ code: 'custom', path: ['correction'], message: 'an edit carries the corrected answer' });
    if (kind !== 'edit' && f.correction !== undefined)
      ctx.addIssue({ code: 'custom', path: ['correction'], message: "correction belongs to kind 'edit'" });
    if (kind === 'comment' && !f.comment)
      ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a comment needs its text' });
  });

/** The kind a validated body is stored under: explicit, else from the value's type. */
export function feedbackKind(f: Feedback): FeedbackKind {
  return f.kind ?? (typeof f.value === 'number' ? 'score' : 'thumbs');
}

/** The feedback body after validation (trace and span ids lower-cased). */
export type Feedback = z.infer<typeof FeedbackSchema>;
/** What an app passes in. */
export type FeedbackInput = z.input<typeof FeedbackSchema>;
