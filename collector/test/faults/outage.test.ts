import { describe, expect, it } from 'vitest';
import { TEST_KEY, waitFor } from '../helpers/collector.ts';
import { useCollectorBehindProxy } from './behind-proxy.ts';
import { countsById, metricValue, postSpans, spanBatch } from './spans.ts';

/**
 * ClickHouse goes away under a running collector (server backend, real HTTP,
 * through a proxy the test cuts): the collector keeps acknowledging into its
 * log, says so on /readyz (still ready: degraded) and /metrics, and once ClickHouse is back every
 * acknowledged span is written exactly once.
 */
const DATABASE = `faults_outage_${process.pid}`;
const REQUESTS = 20;
const SPANS_PER_REQUEST = 25;

const stack = useCollectorBehindProxy(DATABASE);

async function rowsFor(table: 'otel_traces' | 'llm_spans', idColumn: string, ids: string[]) {
  const rows = await stack.direct.query<{ id: string; n: number }>(
    `SELECT ${idColumn} AS id, count() AS n FROM ${table} WHERE ${idColumn} IN {ids:Array(String)} GROUP BY id`,
    { params: { ids } },
  );
  return countsById(rows);
}

async function scrape(): Promise<string> {
  return (await fetch(`${stack.collector.url}/metrics`)).text();
}

async function sendAll(batches: ReturnType<typeof spanBatch>[]) {
  return Promise.all(batches.map((batch) => postSpans(stack.collector.url, TEST_KEY, batch)));
}

describe('ClickHouse outage', () => {
  it('acknowledges into the log while ClickHouse is down and writes every span once when it returns', async () => {
    await stack.proxy.cut();
    const batches = Array.from({ length: REQUESTS }, () => spanBatch(SPANS_PER_REQUEST));
    const ids = batches.flatMap((b) => b.spanIds);

    const results = await sendAll(batches);
    expect(results.map((r) => r.status)).toEqual(Array(REQUESTS).fill(200));

    // The drain has tried and failed at least once: the store is reported down.
    const metrics = await waitFor(
      async () => {
        const text = await scrape();
        return metricValue(text, 'oversight_store_up') === 0 ? text : '';
      },
      30_000,
      'oversight_store_up 0',
    );
    expect(metricValue(metrics, 'oversight_queue_depth')).toBeGreaterThan(0);
    expect(metricValue(metrics, 'oversight_spans_received_total', 'format="json"')).toBe(
      REQUESTS * SPANS_PER_REQUEST,
    );
    const readyz = await fetch(`${stack.collector.url}/readyz`);
    // Still in rotation: the log is taking the load.
    expect(readyz.status).toBe(200);
    expect(await readyz.text()).toMatch(/^ready \(degraded: ClickHouse does not answer/);
    expect((await rowsFor('otel_traces', 'SpanId', ids)).size).toBe(0);

    await stack.proxy.restore();

    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      90_000,
      'the log to drain',
    );
    const traces = await rowsFor('otel_traces', 'SpanId', ids);
    const llm = await rowsFor('llm_spans', 'span_id', ids);
    for (const counts of [traces, llm]) {
      expect(counts.size).toBe(ids.length);
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(ids.length);
    }
    const after = await scrape();
    expect(metricValue(after, 'oversight_store_up')).toBe(1);
    expect(metricValue(after, 'oversight_rows_written_total', 'table="otel_traces"')).toBe(ids.length);
    expect((await fetch(`${stack.collector.url}/readyz`)).status).toBe(200);
  }, 180_000);

  it("answers /readyz while ClickHouse takes connections and never answers, within a probe's timeout", async () => {
    await stack.proxy.hang();
    try {
      // docker-compose.yml's probe gives /readyz 3 s (Kubernetes 1 s); the store client's own
      // timeout is 30 s. A probe that times out fails as a 503 would: out of rotation.
      const readyz = await fetch(`${stack.collector.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
      expect([readyz.status, await readyz.text()]).toEqual([
        200,
        'ready (degraded: ClickHouse does not answer; spans wait in the write-ahead log)',
      ]);
    } finally {
      await stack.proxy.restore();
    }
    await waitFor(
      async () => (await (await fetch(`${stack.collector.url}/readyz`)).text()) === 'ready',
      30_000,
      'ClickHouse answering again',
    );
  }, 60_000);

  it('writes nothing twice when ClickHouse commits inserts but the answers are lost', async () => {
    // The first test's traces are scored a grace period after they end: start with the trace
    // stage idle, so the answers the proxy loses are the drain's.
    await waitFor(
      async () => {
        const text = await scrape();
        return (
          metricValue(text, 'oversight_trace_open') === 0 &&
          metricValue(text, 'oversight_trace_pending') === 0
        );
      },
      60_000,
      'the trace stage to be idle',
    );
    await stack.proxy.loseResponses();
    // One request, so one log entry and one round: a round that never commits is retried as it
    // was staged, so spans sent in several requests would land only as far as the drain's first
    // round reached when it staged (on a loaded machine, a few requests: the wait below timed out).
    const batch = spanBatch(REQUESTS * SPANS_PER_REQUEST);
    const ids = batch.spanIds;
    expect((await postSpans(stack.collector.url, TEST_KEY, batch)).status).toBe(200);

    // A round inserts table by table in name order and stops at the first failure, so llm_spans
    // is the table whose insert ClickHouse commits while the collector, never told, keeps the range.
    // Polled twice a second, not every 50 ms: each look is a query of its own
    // on the engine the drain is inserting into. A time-out names what the
    // engine answered, since the collector heard none of it.
    await waitFor(
      async () => {
        await new Promise((r) => setTimeout(r, 450));
        return (await rowsFor('llm_spans', 'span_id', ids)).size === ids.length;
      },
      120_000,
      'rows landed',
    ).catch(async (error: Error) => {
      const landed = (await rowsFor('llm_spans', 'span_id', ids)).size;
      throw new Error(
        `${error.message}: ${landed} of ${ids.length}; the engine's last errors: ${JSON.stringify(stack.engineErrors())}`,
      );
    });
    await waitFor(
      async () => stack.proxy.lostResponses >= 2,
      60_000,
      'a retried insert whose answer was lost',
    );
    expect((await rowsFor('otel_traces', 'SpanId', ids)).size).toBe(0);
    expect(metricValue(await scrape(), 'oversight_queue_depth')).toBeGreaterThan(0);

    await stack.proxy.restore();
    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      120_000,
      'the log to drain',
    );
    // The llm_spans range went in at least twice more (lost answers, then the replay after the
    // restore); ClickHouse dropped the copies by their deduplication token.
    const traces = await rowsFor('otel_traces', 'SpanId', ids);
    const llm = await rowsFor('llm_spans', 'span_id', ids);
    for (const counts of [traces, llm]) {
      expect(counts.size).toBe(ids.length);
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(ids.length);
    }
    // Deadlines, not speed assertions: a loaded 2-core machine retries slowly.
  }, 360_000);
});
