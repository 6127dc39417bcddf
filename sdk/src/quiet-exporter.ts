import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { diagnoseOnce, errorName } from './safe.ts';

const LINE = 'the app is unaffected, further failures are not logged';

/**
 * Wraps the OTLP exporter so a dead collector costs the app next to nothing:
 * exactly one stderr line for the life of the process, and no long retry loops
 * while the collector is known to be down or the process is exiting. `fast`
 * is the same exporter with a short timeout, which the OTLP retry loop
 * respects, so it gives up after at most one quick retry.
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
    // A collector that answered last time gets the full retry budget, even at exit.
    // One that failed, or is untried at exit, gets a quick attempt: while it is
    // down, batches are dropped fast instead of queueing behind retry loops.
    const target = this.#healthy ? this.#normal : this.#failed || this.#exiting ? this.#fast : this.#normal;
    try {
      target.export(spans, (result) => {
        this.#healthy = result.code === 0;
        this.#failed = !this.#healthy;
        if (result.code !== 0) {
          const reason = result.error
            ? `${errorName(result.error)}: ${result.error.message}`
            : 'unknown error';
          diagnoseOnce('export', `cannot export spans (${reason}); ${LINE}`);
        }
        done(result);
      });
    } catch (error) {
      this.#healthy = false;
      this.#failed = true;
      diagnoseOnce('export', `cannot export spans (${errorName(error)}); ${LINE}`);
      done({ code: 1, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([
      this.#normal.shutdown().catch(() => {}),
      this.#fast === this.#normal ? undefined : this.#fast.shutdown().catch(() => {}),
    ]);
  }

  async forceFlush(): Promise<void> {
    await this.#normal.forceFlush?.().catch(() => {});
  }
}
