import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * An exporter built on its first use. The OTLP/protobuf exporter costs more to
 * import than the rest of the SDK's start (its protobuf runtime and encoders),
 * and an app pays that at startup for spans it may send seconds later, or never.
 */
export class LazyExporter implements SpanExporter {
  readonly #create: () => Promise<SpanExporter>;
  #exporter: Promise<SpanExporter> | undefined;

  constructor(create: () => Promise<SpanExporter>) {
    this.#create = create;
  }

  #get(): Promise<SpanExporter> {
    this.#exporter ??= this.#create();
    return this.#exporter;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let answered = false;
    const once = (result: ExportResult) => {
      if (answered) return;
      answered = true;
      done(result);
    };
    const failed = (error: unknown) =>
      once({ code: 1, error: error instanceof Error ? error : new Error(String(error)) });
    // Either way the export's error path reports it (QuietExporter: once); spans are dropped, the app goes on.
    this.#get()
      .then((exporter) => exporter.export(spans, once), failed)
      // An exporter that throws instead of calling back: the same failure, not an unhandled rejection.
      .catch(failed);
  }

  async forceFlush(): Promise<void> {
    if (this.#exporter) await (await this.#exporter).forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.#exporter) await (await this.#exporter).shutdown();
  }
}
