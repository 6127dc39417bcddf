import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { diagnoseOnce, errorName } from './safe.ts';

/**
 * Wraps the OTLP exporter so an unreachable collector produces exactly one
 * stderr line for the life of the process, however many batches fail, and a
 * throwing exporter cannot escape into the batch processor's timer.
 */
export class QuietExporter implements SpanExporter {
  readonly #inner: SpanExporter;

  constructor(inner: SpanExporter) {
    this.#inner = inner;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      this.#inner.export(spans, (result) => {
        if (result.code !== 0) {
          const reason = result.error ? `${errorName(result.error)}: ${result.error.message}` : 'unknown error';
          diagnoseOnce('export', `cannot export spans (${reason}); the app is unaffected, further failures are not logged`);
        }
        done(result);
      });
    } catch (error) {
      diagnoseOnce('export', `cannot export spans (${errorName(error)}); the app is unaffected, further failures are not logged`);
      done({ code: 1, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown().catch(() => {});
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.().catch(() => {}) ?? Promise.resolve();
  }
}
