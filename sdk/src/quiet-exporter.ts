import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { diagnoseOnce, errorName } from './safe.ts';

const LINE = 'the app is unaffected, further failures are not logged';

/**
 * Wraps the OTLP exporter so a dead collector costs the app next to nothing:
 * exactly one stderr line for the life of the process, and no long retry loops
 * while the collector is down or the process is exiting. `fast` is the same
 * exporter with a short timeout, which the OTLP retry loop respects, so it
 * gives up after at most one quick retry.
 *
 * A collector not yet heard from gets the fast attempt first: the OTLP retry
 * loop waits on timers that hold the process open, so a dead collector met by
 * the full budget kept a finished app alive for up to ten seconds. Only a
 * collector that is there but slow or busy (the fast attempt timed out or was
 * asked to retry) gets the same batch again with the full budget.
 */
export class QuietExporter implements SpanExporter {
  readonly #normal: SpanExporter;
  readonly #fast: SpanExporter;
  #healthy = false;
  #failed = false;
  #exiting = false;

  constructor(normal: SpanExporter, fast: SpanExporter = normal) {
    this.#normal = normal;
    this.#fast = fast;
  }

  /** The process is about to exit: don't hold it open retrying a collector that is not answering. */
  exiting(): void {
    this.#exiting = true;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const settle = (result: ExportResult) => this.#settle(result, done);
    // A collector that answered last time gets the full retry budget, even at exit.
    if (this.#healthy) {
      attempt(this.#normal, spans, settle);
      return;
    }
    const untried = !this.#failed;
    attempt(this.#fast, spans, (result) => {
      if (result.code !== 0 && untried && !this.#exiting && answersSlowly(result.error))
        attempt(this.#normal, spans, settle);
      else settle(result);
    });
  }

  #settle(result: ExportResult, done: (result: ExportResult) => void): void {
    this.#healthy = result.code === 0;
    this.#failed = !this.#healthy;
    if (result.code !== 0) {
      const reason = result.error ? `${errorName(result.error)}: ${result.error.message}` : 'unknown error';
      diagnoseOnce('export', `cannot export spans (${reason}); ${LINE}`);
    }
    done(result);
  }

  async shutdown(): Promise<void> {
    await Promise.all([
      this.#normal.shutdown().catch(() => {}),
      this.#fast === this.#normal ? undefined : this.#fast.shutdown().catch(() => {}),
    ]);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([
      this.#normal.forceFlush?.().catch(() => {}),
      this.#fast === this.#normal ? undefined : this.#fast.forceFlush?.().catch(() => {}),
    ]);
  }
}

/**
 * Whether a failed attempt reached a collector that is there but slow or busy:
 * it timed out, or answered 429/503 (the exporter's "retryable status"). A
 * system error (refused, reset, unknown host) carries a string code, and a
 * collector's final answer (401, 404) its numeric status: neither is helped
 * by waiting longer.
 */
function answersSlowly(error: Error | undefined): boolean {
  return error !== undefined && (error as { code?: unknown }).code === undefined;
}

/** One export; an exporter that throws instead of calling back fails the same way. */
function attempt(target: SpanExporter, spans: ReadableSpan[], done: (result: ExportResult) => void): void {
  try {
    target.export(spans, done);
  } catch (error) {
    done({ code: 1, error: error instanceof Error ? error : new Error(errorName(error)) });
  }
}
