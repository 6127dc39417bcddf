/**
 * User feedback (thumbs up/down or a score, with an optional comment) linked
 * to a trace, posted to the collector's `POST /v1/feedback`. The collector
 * validates the body with the same `FeedbackSchema`, so SDK and collector
 * cannot disagree on the shape.
 */
import { randomUUID } from 'node:crypto';
import { type Feedback, type FeedbackInput, FeedbackSchema } from '@oversight/conventions';
import { z } from 'zod';

export { type Feedback, type FeedbackInput, FeedbackSchema };

export interface FeedbackOptions {
  /** Collector base URL; `OVERSIGHT_ENDPOINT`, then `http://127.0.0.1:4318`. */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <key>`; `OVERSIGHT_API_KEY` by default. */
  apiKey?: string;
  /** Give up after this long; feedback is never worth a hung request handler. */
  timeoutMs?: number;
}

export interface FeedbackResult {
  ok: boolean;
  /** HTTP status when the collector answered. */
  status?: number;
  error?: string;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
const DEFAULT_TIMEOUT_MS = 5_000;

let configured: FeedbackOptions = {};

/** Called by `init` with the endpoint and key it was given, so `feedback()` needs no options. */
export function configureFeedback(options: FeedbackOptions): void {
  configured = { ...options };
}

function resolve(options: FeedbackOptions | undefined): Required<
  Pick<FeedbackOptions, 'endpoint' | 'timeoutMs'>
> & {
  apiKey: string | undefined;
} {
  const env = globalThis.process?.env ?? {};
  const endpoint = options?.endpoint ?? configured.endpoint ?? env.OVERSIGHT_ENDPOINT ?? DEFAULT_ENDPOINT;
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    apiKey: options?.apiKey ?? configured.apiKey ?? env.OVERSIGHT_API_KEY,
    timeoutMs: options?.timeoutMs ?? configured.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/**
 * Sends one piece of feedback. Never throws and never rejects: a bad body, a
 * dead collector or a timeout come back as `{ ok: false, error }`.
 */
export async function feedback(input: FeedbackInput, options?: FeedbackOptions): Promise<FeedbackResult> {
  try {
    const parsed = FeedbackSchema.safeParse(input);
    if (!parsed.success) {
      return { ok: false, error: `invalid feedback: ${z.prettifyError(parsed.error)}` };
    }
    const { endpoint, apiKey, timeoutMs } = resolve(options);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const response = await fetch(`${endpoint}/v1/feedback`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...parsed.data, id: parsed.data.id ?? randomUUID() }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.ok) {
      await response.body?.cancel().catch(() => {});
      return { ok: true, status: response.status };
    }
    const text = await response.text().catch(() => '');
    return {
      ok: false,
      status: response.status,
      error: `collector answered ${response.status}${text ? `: ${text.slice(0, 500)}` : ''}`,
    };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
