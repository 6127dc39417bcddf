/**
 * Sends spans the way an instrumented app does: the real OTLP/HTTP protobuf
 * exporter, called directly so the benchmark controls batch size and how many
 * requests are in flight.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

export interface SendResult {
  ok: boolean;
  /** From the call to the exporter's callback, retries included. */
  ms: number;
  error?: string;
}

export interface Sender {
  send(spans: ReadableSpan[]): Promise<SendResult>;
  shutdown(): Promise<void>;
}

export function createSender(collectorUrl: string, headers?: Record<string, string>): Sender {
  const exporter = new OTLPTraceExporter({
    url: `${collectorUrl}/v1/traces`,
    ...(headers ? { headers } : {}),
    timeoutMillis: 60_000,
    // The benchmark bounds what is in flight itself; the default cap (30) would turn a backlog into failures.
    concurrencyLimit: 10_000,
  });
  return {
    send(spans) {
      const started = performance.now();
      return new Promise((resolve) => {
        exporter.export(spans, (result) => {
          const ms = performance.now() - started;
          resolve(
            result.code === ExportResultCode.SUCCESS
              ? { ok: true, ms }
              : { ok: false, ms, error: result.error?.message ?? 'export failed' },
          );
        });
      });
    },
    shutdown: () => exporter.shutdown(),
  };
}
