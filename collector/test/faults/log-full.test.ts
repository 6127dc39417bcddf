import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/collector.ts';
import { useCollectorBehindProxy } from './behind-proxy.ts';
import { countsById, metricValue, postSpans, spanBatch } from './spans.ts';

/**
 * ClickHouse is down and the write-ahead log reaches its cap: requests get 503
 * with `Retry-After`, the real OTel protobuf exporter is refused and retries
 * after the advertised delay, ClickHouse returns, the log drains, and the
 * exporter's retry lands. Every acknowledged span arrives exactly once.
 */
const KEY = 'log-full-test-key-01';
const DATABASE = `faults_log_full_${process.pid}`;
const SPANS_PER_REQUEST = 20;
/** `ExportResultCode.SUCCESS` of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;
const EXPORTED_SPANS = 50;

// A log small enough to fill and a short Retry-After the exporter can honour within its 10 s timeout.
const stack = useCollectorBehindProxy(DATABASE, {
  apiKeys: `${KEY}=project-full`,
  walMaxBytes: 256 * 1024,
  walRetryAfterSeconds: 1,
});

async function scrape(): Promise<string> {
  return (await fetch(`${stack.collector.url}/metrics`)).text();
}

const refusedRequests = async () =>
  metricValue(await scrape(), 'oversight_http_requests_total', 'route="/v1/traces",status="503"') ?? 0;

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

/** The real exporter, with every export's outcome recorded. */
function recordingExporter(results: ExportResult[]): SpanExporter {
  const exporter = new OTLPTraceExporter({
    url: `${stack.collector.url}/v1/traces`,
    headers: { authorization: `Bearer ${KEY}` },
  });
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        results.push(result);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

describe('write-ahead log full', () => {
  it('answers 503 with Retry-After and the OTel exporter delivers once the log drains', {
    timeout: 30_000,
  }, async () => {
    await stack.proxy.cut();

    // Fill the log: every request is acknowledged until the cap, then refused.
    const acked: string[] = [];
    let refusal: Awaited<ReturnType<typeof postSpans>> | undefined;
    for (let i = 0; i < 200 && !refusal; i++) {
      const batch = spanBatch(SPANS_PER_REQUEST);
      const result = await postSpans(stack.collector.url, KEY, batch);
      if (result.status === 200) acked.push(...batch.spanIds);
      else refusal = result;
    }
    expect(refusal).toEqual({ status: 503, retryAfter: '1' });
    expect(acked.length).toBeGreaterThan(0);
    const readyz = await fetch(`${stack.collector.url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toMatch(/write-ahead log full/);
    expect(await refusedRequests()).toBe(1);

    // The real exporter is refused too, and retries after the advertised second.
    const results: ExportResult[] = [];
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'log-full-app' }),
      spanProcessors: [
        new BatchSpanProcessor({ exporter: recordingExporter(results), maxExportBatchSize: 512 }),
      ],
    });
    const tracer = provider.getTracer('faults');
    const exported: string[] = [];
    for (let i = 0; i < EXPORTED_SPANS; i++) {
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
        },
      });
      exported.push(span.spanContext().spanId);
      span.end();
    }
    const flushed = provider.forceFlush();
    await waitFor(async () => (await refusedRequests()) >= 2, 10_000, 'the exporter to be refused');
    expect(results).toEqual([]);

    await stack.proxy.restore();
    await flushed;
    await provider.shutdown();
    expect(results.map((r) => r.code)).toEqual([EXPORT_SUCCESS]);

    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      15_000,
      'the log to drain',
    );
    const ids = [...acked, ...exported];
    for (const [table, idColumn] of [
      ['otel_traces', 'SpanId'],
      ['llm_spans', 'span_id'],
    ] as const) {
      const rows = await stack.direct.query<{ id: string; n: number }>(
        `SELECT ${idColumn} AS id, count() AS n FROM ${table} GROUP BY id`,
      );
      const counts = countsById(rows);
      expect(counts.size, table).toBe(ids.length);
      expect(
        ids.filter((id) => counts.get(id) !== 1),
        `${table}: spans not there exactly once`,
      ).toEqual([]);
    }
    expect(
      metricValue(await scrape(), 'oversight_spans_rejected_total', 'reason="log_full"'),
    ).toBeGreaterThanOrEqual(SPANS_PER_REQUEST + EXPORTED_SPANS);
    expect((await fetch(`${stack.collector.url}/readyz`)).status).toBe(200);
  });
});
