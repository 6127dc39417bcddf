/**
 * What an operator relies on: per-key rate limits with Retry-After, liveness
 * and readiness probes, and Prometheus counters that move with the traffic.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_KEY, startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { body, freshSpan, metricValue, postTraces, waitForTrace } from './http.ts';

const METRICS_KEY = 'metrics-key-project-c';
const LIMIT_KEY = 'limit-key-project-d';
const RESEND_KEY = 'resend-key-project-e';
const RESEND_OTHER_KEY = 'resend-key-project-f';
// The bucket holds two seconds' worth: 20 spans.
const SPANS_PER_SECOND = 10;

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;
let url: string;

beforeAll(async () => {
  collector = await startTestCollector({
    apiKeys: [
      `${TEST_KEY}=project-a`,
      `${OTHER_KEY}=project-b`,
      `${METRICS_KEY}=project-c`,
      `${LIMIT_KEY}=project-d`,
      `${RESEND_KEY}=project-e`,
      `${RESEND_OTHER_KEY}=project-f`,
    ].join(','),
    rateLimitSpansPerSecond: SPANS_PER_SECOND,
    evaluators: 'none',
  });
  url = collector.url;
});
afterAll(async () => {
  await collector?.dispose();
});

const scrape = async () => {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

describe('rate limit', () => {
  it('a burst from one key gets 429 with Retry-After; another key is unaffected', async () => {
    // 500 spans is 48 s past the 20-span bucket: admitted on a full bucket, then the key owes.
    const burst = Array.from({ length: 500 }, () => freshSpan());
    const first = await postTraces(url, body('protobuf', burst), 'protobuf', { key: TEST_KEY });
    expect(first.status).toBe(200);

    for (const format of ['protobuf', 'json'] as const) {
      const next = await postTraces(url, body(format, [freshSpan()]), format, { key: TEST_KEY });
      expect(next.status).toBe(429);
      const retryAfter = Number(next.headers.get('retry-after'));
      // 480 spans owed plus one to send, at ten per second, less the time this test has taken.
      expect(retryAfter).toBeGreaterThan(30);
      expect(retryAfter).toBeLessThanOrEqual(49);
      expect(next.body).toEqual({
        code: 8,
        message: `rate limit exceeded for this API key; retry in ${retryAfter} s`,
      });
    }

    const other = freshSpan();
    const answer = await postTraces(url, body('json', [other]), 'json', { key: OTHER_KEY });
    expect(answer.status).toBe(200);
    expect(await waitForTrace(collector.store, other.traceId, 1)).toEqual([
      { SpanId: other.spanId, ProjectId: 'project-b' },
    ]);
  });

  it('a request larger than what is left is refused whole, and counted as rate limited', async () => {
    const before = metricValue(await scrape(), 'oversight_spans_rejected_total{reason="rate_limited"}');
    const first = Array.from({ length: 15 }, () => freshSpan());
    expect((await postTraces(url, body('json', first), 'json', { key: LIMIT_KEY })).status).toBe(200);
    // About 5 spans are left: 19 do not fit, and none of them is stored.
    const second = Array.from({ length: 19 }, () => freshSpan());
    const answer = await postTraces(url, body('json', second), 'json', { key: LIMIT_KEY });
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const after = metricValue(await scrape(), 'oversight_spans_rejected_total{reason="rate_limited"}');
    expect(after - before).toBe(19);
    await waitForTrace(collector.store, first[14]?.traceId as string, 1);
    const stored = await collector.store.query(
      'SELECT 1 FROM otel_traces WHERE TraceId IN {ids:Array(String)}',
      { params: { ids: second.map((s) => s.traceId) } },
    );
    expect(stored).toEqual([]);
  });
});

describe('an exporter resending a request it got no answer for', () => {
  it('is answered as the first copy was, and its spans are stored once', async () => {
    const before = await scrape();
    const spans = [freshSpan(), freshSpan(), freshSpan()];
    const sent = body('protobuf', spans);
    const first = await postTraces(url, sent, 'protobuf', { key: RESEND_KEY });
    const again = await postTraces(url, sent, 'protobuf', { key: RESEND_KEY });
    // The same bytes gzipped, as an exporter with compression on sends them: the digest is of the request, not the wire.
    const zipped = await postTraces(url, gzipSync(sent), 'protobuf', {
      key: RESEND_KEY,
      headers: { 'content-encoding': 'gzip' },
    });
    for (const answer of [first, again, zipped]) expect([answer.status, answer.body]).toEqual([200, {}]);
    // Another project sending the same bytes is another request.
    expect((await postTraces(url, sent, 'protobuf', { key: RESEND_OTHER_KEY })).status).toBe(200);

    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      15_000,
      'an empty queue',
    );
    const stored = await collector.store.query<{ ProjectId: string; SpanId: string; copies: string }>(
      `SELECT ProjectId, SpanId, count() AS copies FROM otel_traces
       WHERE TraceId IN {ids:Array(String)} GROUP BY ProjectId, SpanId ORDER BY ProjectId, SpanId`,
      { params: { ids: spans.map((s) => s.traceId) } },
    );
    const ids = spans.map((s) => s.spanId).sort();
    expect(stored.map((r) => [r.ProjectId, r.SpanId, Number(r.copies)])).toEqual([
      ...ids.map((id) => ['project-e', id, 1]),
      ...ids.map((id) => ['project-f', id, 1]),
    ]);
    const after = await scrape();
    const delta = (series: string) => metricValue(after, series) - metricValue(before, series);
    expect(delta('oversight_spans_resent_total')).toBe(6);
    expect(delta('oversight_spans_received_total{format="protobuf"}')).toBe(6);
  });
});

describe('behind a load balancer', () => {
  it('keeps an idle connection longer than a balancer keeps its own (65 s), and says so', async () => {
    // A balancer reuses its idle connection to the collector for up to its own idle
    // timeout (60 s on AWS ALB); closed earlier by the collector, the reuse is a 502.
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpRequest(`${url}/healthz`, { agent: new Agent({ keepAlive: true }) }, resolve);
      request.on('error', reject);
      request.end();
    });
    response.resume();
    expect(response.headers.connection).toBe('keep-alive');
    expect(response.headers['keep-alive']).toBe('timeout=65');
  });
});

describe('probes and metrics', () => {
  it('/healthz and /readyz answer 200 when the collector is up', async () => {
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready']);
  });

  it('/metrics counters move with a request', async () => {
    const before = await scrape();
    for (const name of [
      'oversight_spans_received_total',
      'oversight_spans_rejected_total',
      'oversight_spans_resent_total',
      'oversight_rows_written_total',
      'oversight_queue_depth',
      'oversight_insert_duration_seconds',
    ]) {
      expect(before).toContain(`# TYPE ${name} `);
    }
    const good = [freshSpan(), freshSpan()];
    const traceId = good[0]?.traceId as string;
    const spans = [good[0], { ...good[1], traceId }, { ...good[0] }];
    const answer = await postTraces(url, body('json', spans as never), 'json', { key: METRICS_KEY });
    expect(answer.status).toBe(200);
    await waitForTrace(collector.store, traceId, 2);
    // The rows are readable a moment before the drain's insert returns and counts them.
    const written = 'oversight_rows_written_total{table="otel_traces"}';
    await waitFor(
      async () => metricValue(await scrape(), written) - metricValue(before, written) >= 2,
      15_000,
      'the insert counted',
    );

    const after = await scrape();
    const delta = (series: string) => metricValue(after, series) - metricValue(before, series);
    expect(delta('oversight_spans_received_total{format="json"}')).toBe(2);
    expect(delta('oversight_spans_rejected_total{reason="invalid_span"}')).toBe(1);
    expect(delta('oversight_rows_written_total{table="otel_traces"}')).toBeGreaterThanOrEqual(2);
    expect(delta('oversight_insert_duration_seconds_count{table="otel_traces"}')).toBeGreaterThanOrEqual(1);
    expect(delta('oversight_http_requests_total{route="/v1/traces",status="200"}')).toBe(1);
    // The log entry is committed just after its insert: the depth returns to 0.
    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      15_000,
      'an empty queue',
    );
  });

  it('/readyz says it is degraded while ClickHouse answers but refuses the writes, and clears once they pass', async () => {
    // As a full ClickHouse disk or a revoked INSERT grant does: the ping still answers, every insert fails.
    const db = collector.store.database;
    await collector.store.command(`RENAME TABLE ${db}.otel_traces TO ${db}.otel_traces_away`);
    try {
      const sent = freshSpan();
      // A key the rate-limit test above left with room in its bucket.
      expect((await postTraces(url, body('protobuf', [sent]), 'protobuf', { key: OTHER_KEY })).status).toBe(
        200,
      );
      const degraded = await waitFor(
        async () => {
          const text = await (await fetch(`${url}/readyz`)).text();
          return text.startsWith('ready (degraded') ? text : null;
        },
        15_000,
        '/readyz to say the writes fail',
      );
      expect(degraded).toMatch(
        /^ready \(degraded: writing to ClickHouse fails, spans wait in the write-ahead log: .*otel_traces/,
      );
    } finally {
      await collector.store.command(`RENAME TABLE ${db}.otel_traces_away TO ${db}.otel_traces`);
    }
    await waitFor(
      async () => (await (await fetch(`${url}/readyz`)).text()) === 'ready',
      30_000,
      '/readyz to be plain ready once the writes pass',
    );
  });

  it('/readyz stays 200 but says it is degraded once the store stops answering; /healthz stays up', async () => {
    // Last test of the file: the store goes away under the running server. The log takes the
    // load, so the replica stays in rotation.
    await collector.store.close();
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([
      200,
      'ready (degraded: ClickHouse does not answer; spans wait in the write-ahead log)',
    ]);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
  });
});
