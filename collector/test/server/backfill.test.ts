/**
 * Spans spread over many days in one drain round: a backfill of old traces,
 * an exporter's disk buffer emptied after an outage, devices with wrong
 * clocks. ClickHouse refuses an insert whose rows fall in more than 100
 * partitions (`max_partitions_per_insert_block`), and the span tables
 * partition by day. The round must still be stored, and must not hold back
 * everything logged after it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { protobufRequest, span, str } from '../otlp/requests.ts';
import { postTraces } from './http.ts';

type Collector = Awaited<ReturnType<typeof startTestCollector>>;
let collector: Collector;

beforeAll(async () => {
  // ttlDays 0 keeps rows forever: the old days stay in the tables to be counted.
  collector = await startTestCollector({ evaluators: 'none', ttlDays: 0, traceQuality: false });
});
afterAll(async () => {
  await collector?.dispose();
});

const DAY_NS = 86_400_000_000_000n;

function chatSpan(start: bigint, name: string) {
  return span({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1_000_000n).toString(),
    attributes: [
      str('gen_ai.operation.name', 'chat'),
      str('gen_ai.provider.name', 'openai'),
      str('gen_ai.request.model', 'backfill-model'),
    ],
  });
}

describe('a round whose spans span more than 100 days', () => {
  it('is stored whole, once, and the spans logged after it are stored too', { timeout: 90_000 }, async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const old = Array.from({ length: 240 }, (_, i) => chatSpan(now - BigInt(i) * DAY_NS, `day -${i}`));
    const later = chatSpan(now, 'sent after the backfill');
    expect(
      (await postTraces(collector.url, protobufRequest(old), 'protobuf', { key: TEST_KEY })).status,
    ).toBe(200);
    expect(
      (await postTraces(collector.url, protobufRequest([later]), 'protobuf', { key: TEST_KEY })).status,
    ).toBe(200);
    const ids = [...old, later].map((s) => s.spanId as string);
    const counts = async (table: string, column: string) =>
      collector.store.query<{ n: number | string; distinct: number | string }>(
        `SELECT count() AS n, uniqExact(${column}) AS distinct FROM ${table} WHERE ${column} IN {ids:Array(String)}`,
        { params: { ids } },
      );
    const [traces] = await waitFor(
      async () => {
        const rows = await counts('otel_traces', 'SpanId');
        return Number(rows[0]?.n) >= ids.length ? rows : null;
      },
      30_000,
      'every span of the backfill and the one after it in otel_traces',
    );
    expect([Number(traces?.n), Number(traces?.distinct)]).toEqual([ids.length, ids.length]);
    const [llm] = await waitFor(
      async () => {
        const rows = await counts('llm_spans', 'span_id');
        return Number(rows[0]?.n) >= ids.length ? rows : null;
      },
      30_000,
      'every span in llm_spans',
    );
    expect([Number(llm?.n), Number(llm?.distinct)]).toEqual([ids.length, ids.length]);
    const [calls] = await collector.store.query<{ calls: number | string }>(
      "SELECT sum(calls) AS calls FROM llm_spans_hourly WHERE model = 'backfill-model'",
    );
    expect(Number(calls?.calls)).toBe(ids.length);
  });
});
