/**
 * User feedback (thumbs up/down or a score, with an optional comment) and
 * implicit signals (the user regenerated, copied or edited an answer) linked
 * to a trace, posted to the collector's `POST /v1/feedback`. The collector
 * validates the body with the same `FeedbackSchema`, so SDK and collector
 * cannot disagree on the shape.
 */
import { randomUUID } from 'node:crypto';
import {
  FEEDBACK_KINDS,
  type Feedback,
  type FeedbackInput,
  type FeedbackKind,
  FeedbackSchema,
  feedbackKind,
  OVERSIGHT_CONTENT_WITHHELD as WITHHELD,
} from '@oversight/conventions';
import { z } from 'zod';
import { endpointProblem, spanEndpoint } from './endpoint.ts';
import {
  collectorBase,
  configuredFeedback,
  configureFeedback,
  type FeedbackOptions,
} from './feedback-config.ts';
import { captureText } from './rag/capture.ts';
import { diagnoseOnce } from './safe.ts';

export {
  configureFeedback,
  FEEDBACK_KINDS,
  type Feedback,
  type FeedbackInput,
  type FeedbackKind,
  type FeedbackOptions,
  FeedbackSchema,
  feedbackKind,
};

export interface FeedbackResult {
  ok: boolean;
  /** HTTP status when the collector answered. */
  status?: number;
  error?: string;
  /** Requests sent, counting the first (more than 1 when the collector asked to retry). */
  attempts?: number;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BUDGET_MS = 15_000;
const FIRST_BACKOFF_MS = 250;
/** Overloaded (rate limit) or temporarily unable (log full): the collector says when to come back. */
const RETRYABLE_STATUS = new Set([429, 503]);

/**
 * A correction or comment is the user's own text, content as much as a
 * prompt is: it goes through the app's content policy (capture switch, redact
 * hook, PII masks, size cap) as span texts do, so an app that keeps content
 * in does not send it here. With capture off, a text the body must carry (an
 * edit's correction, a comment's text) is the withheld placeholder; any other
 * is left out.
 */
function underContentPolicy(f: Feedback): Feedback {
  if (f.correction === undefined && f.comment === undefined) return f;
  const kind = feedbackKind(f);
  const out: Feedback = { ...f };
  const apply = (field: 'correction' | 'comment', required: boolean) => {
    const text = out[field];
    if (text === undefined) return;
    // Undefined when capture is off; a redact() that threw already comes back withheld.
    const kept = captureText(text);
    if (kept !== undefined && kept !== '') out[field] = kept;
    else if (required) out[field] = WITHHELD;
    else delete out[field];
  };
  apply('correction', kind === 'edit');
  apply('comment', kind === 'comment');
  return out;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // An HTTP date names its weekday and month; Date.parse alone would read '-3' as a year.
  const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * Keeps the process alive, as the request itself does: an app that awaits
 * `feedback()` at the end of a script would otherwise exit in the pause
 * between tries with its await unsettled (exit code 13). The retry budget
 * bounds how long.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Where feedback goes, and the option or variable that said so: the span
 * exporter's own fallbacks, in its order, so an app configured the
 * OpenTelemetry way sends its ratings where its spans go. An empty variable
 * is unset, as for the spans.
 */
function endpointOf(
  named: string | undefined,
  env: Record<string, string | undefined>,
): { endpoint: string; from: string } {
  const spans = spanEndpoint(named, env);
  if (spans) return spans;
  for (const from of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const endpoint = env[from];
    if (endpoint) return { endpoint, from };
  }
  return { endpoint: DEFAULT_ENDPOINT, from: 'the default endpoint' };
}

function resolve(options: FeedbackOptions | undefined): Required<
  Pick<FeedbackOptions, 'endpoint' | 'timeoutMs' | 'retries' | 'retryBudgetMs'>
> & {
  authorization: string | undefined;
  /** What is wrong with the endpoint, naming where it came from; nothing is sent. */
  badEndpoint: string | undefined;
} {
  const env = globalThis.process?.env ?? {};
  const configured = configuredFeedback();
  const { endpoint, from } = endpointOf(options?.endpoint ?? configured.endpoint, env);
  const problem = endpointProblem(endpoint);
  const apiKey = options?.apiKey ?? configured.apiKey ?? env.OVERSIGHT_API_KEY;
  return {
    endpoint: collectorBase(endpoint),
    badEndpoint: problem && `${from}: ${problem}`,
    authorization: apiKey
      ? `Bearer ${apiKey}`
      : (otlpAuthorization(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) ??
        otlpAuthorization(env.OTEL_EXPORTER_OTLP_HEADERS)),
    timeoutMs: options?.timeoutMs ?? configured.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: Math.max(0, options?.retries ?? configured.retries ?? DEFAULT_RETRIES),
    retryBudgetMs: Math.max(0, options?.retryBudgetMs ?? configured.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS),
  };
}

/** The `authorization` entry of an OTEL_EXPORTER_OTLP_*HEADERS list (`key=value,…`, values URL-encoded). */
function otlpAuthorization(list: string | undefined): string | undefined {
  for (const entry of list?.split(',') ?? []) {
    const at = entry.indexOf('=');
    if (at < 0 || entry.slice(0, at).trim().toLowerCase() !== 'authorization') continue;
    try {
      return decodeURIComponent(entry.slice(at + 1).trim()) || undefined;
    } catch {
      return entry.slice(at + 1).trim() || undefined;
    }
  }
  return undefined;
}

/**
 * Sends one piece of feedback. Never throws and never rejects: a bad body, a
 * dead collector or a timeout come back as `{ ok: false, error }`. A 429 or
 * 503 is retried after the collector's `Retry-After` (else a doubling
 * backoff), and a refused or dropped connection after the backoff, a
 * bounded number of times within `retryBudgetMs`; the id is fixed
 * before the first attempt, so a retry the collector already stored is not
 * counted twice.
 */
export async function feedback(input: FeedbackInput, options?: FeedbackOptions): Promise<FeedbackResult> {
  const result = await send(input, options);
  if (!result.ok) sayWhy(input, result);
  return result;
}

/**
 * A rejected feedback is said once, in one line: an app that does not read
 * the result (the README's `await feedback(...)`) would otherwise lose every
 * rating without a word. A collector that cannot be reached or refuses the
 * key is the one the span exporter reports, under the same key: one line
 * for one dead collector.
 */
function sayWhy(input: FeedbackInput, result: FeedbackResult): void {
  try {
    const error = result.error ?? 'unknown error';
    if (error.startsWith(INVALID)) {
      const traceId = (input as { traceId?: unknown } | null | undefined)?.traceId;
      // currentTraceId() outside any span (withContext() starts none) is the usual way to get here.
      const hint =
        traceId === undefined || traceId === null
          ? '; currentTraceId() is undefined outside a span: read it inside workflow() or agent()'
          : '';
      diagnoseOnce('feedback-invalid', `feedback() sent nothing: ${error}${hint}`);
    } else {
      diagnoseOnce(
        'export',
        `cannot send feedback (${error}); the app is unaffected, further failures are not logged`,
      );
    }
  } catch {
    // Saying why is best effort; the result already carries it.
  }
}

const INVALID = 'invalid feedback';

async function send(input: FeedbackInput, options?: FeedbackOptions): Promise<FeedbackResult> {
  try {
    const parsed = FeedbackSchema.safeParse(input);
    if (!parsed.success) {
      return { ok: false, error: `${INVALID}: ${z.prettifyError(parsed.error)}` };
    }
    const { endpoint, badEndpoint, authorization, timeoutMs, retries, retryBudgetMs } = resolve(options);
    if (badEndpoint) return { ok: false, error: badEndpoint };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    const body = JSON.stringify({ ...underContentPolicy(parsed.data), id: parsed.data.id ?? randomUUID() });
    const deadline = Date.now() + retryBudgetMs;
    /** Waits before the next attempt when one is left and the budget allows; false when not. */
    const pause = async (attempt: number, wait: number): Promise<boolean> => {
      if (attempt > retries || Date.now() + wait > deadline) return false;
      await sleep(wait);
      return true;
    };
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${endpoint}/v1/feedback`, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // A connection refused or reset (a collector restarting, a keep-alive socket it
        // just closed) is retried like a 503: the fixed id keeps a stored one from counting twice.
        if (isConnectionFailure(error) && (await pause(attempt, FIRST_BACKOFF_MS * 2 ** (attempt - 1))))
          continue;
        return { ok: false, attempts: attempt, error: describe(error) };
      }
      if (response.ok) {
        await response.body?.cancel().catch(() => {});
        return { ok: true, status: response.status, attempts: attempt };
      }
      const text = await response.text().catch(() => '');
      if (RETRYABLE_STATUS.has(response.status)) {
        const wait =
          retryAfterMs(response.headers.get('retry-after')) ?? FIRST_BACKOFF_MS * 2 ** (attempt - 1);
        if (await pause(attempt, wait)) continue;
      }
      return {
        ok: false,
        status: response.status,
        attempts: attempt,
        error: `collector answered ${response.status}${text ? `: ${text.slice(0, 500)}` : ''}`,
      };
    }
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

/**
 * Codes of a connection that failed on the way (refused, reset, closed, a
 * lookup that timed out), as the fetch implementations apps run name them:
 * system codes (Node's undici puts them on the `TypeError`'s cause, Bun
 * >= 1.4 and node-fetch on the error itself), undici's own socket codes, and
 * older Bun's names (`ConnectionRefused` on a plain `Error`). Not a bad URL,
 * an unknown host or an invalid option, which a retry cannot fix.
 */
const CONNECTION_FAILURES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ConnectionRefused',
  'ConnectionClosed',
]);

/**
 * Whether fetch() failed for a connection that a retry may find working.
 * A timeout is no such failure: the caller has waited its timeoutMs already.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_FAILURES.has(code)) return true;
  const causeCode = ((error as { cause?: unknown }).cause as { code?: unknown } | null | undefined)?.code;
  return typeof causeCode === 'string' && CONNECTION_FAILURES.has(causeCode);
}

/** fetch() fails with a bare `TypeError: fetch failed`; what failed is its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  // Bun and node-fetch put the code on the error itself, and Bun's message may not name it.
  const own = (error as { code?: unknown }).code;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : typeof own === 'string' && !error.message.includes(own)
          ? own
          : '';
  return `${error.name}: ${error.message}${detail ? ` (${detail})` : ''}`;
}
