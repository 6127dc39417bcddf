/**
 * The defaults `init` hands to `feedback()`. Apart from feedback.ts so that
 * init, on every app's startup path, does not load the feedback schema (zod).
 */
export interface FeedbackOptions {
  /**
   * Collector base URL; `OVERSIGHT_ENDPOINT`, else where the spans go by the standard
   * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`, else `http://127.0.0.1:4318`.
   */
  endpoint?: string | undefined;
  /**
   * Sent as `Authorization: Bearer <key>`; `OVERSIGHT_API_KEY` by default, else the
   * `authorization` of `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`.
   */
  apiKey?: string | undefined;
  /** Give up on one attempt after this long; feedback is never worth a hung request handler. */
  timeoutMs?: number | undefined;
  /** Further attempts after a 429, a 503 or a refused or dropped connection (default 3); 0 sends once. */
  retries?: number | undefined;
  /**
   * Longest total wait between attempts (default 15 s). A `Retry-After` that
   * would overrun it ends the retries at once rather than holding the caller.
   */
  retryBudgetMs?: number | undefined;
}

let configured: FeedbackOptions = {};

/** Called by `init` with the endpoint and key it was given, so `feedback()` needs no options. */
export function configureFeedback(options: FeedbackOptions): void {
  configured = { ...options };
}

export function configuredFeedback(): FeedbackOptions {
  return configured;
}

/**
 * The collector's base URL from what an app passed: the OTLP traces URL
 * (`…/v1/traces`, as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT spells it) is taken
 * for its base rather than sent to `…/v1/traces/v1/traces`, a 404.
 */
export function collectorBase(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/v1\/traces$/, '');
}
