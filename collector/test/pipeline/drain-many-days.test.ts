/**
 * A round whose rows fall on more days than one insert may touch (ClickHouse
 * refuses more than 100 partitions per insert, and the span tables partition
 * by day) goes in as several inserts, each under a token of its own that a
 * retry or a replay repeats: every row once, roll-ups included.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { splitByDays } from '../../src/pipeline/drain/days.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import { createIngest } from '../../src/pipeline/ingest.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { toDateTime64 } from '../../src/pipeline/transform/time.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';
import type { Row, Store } from '../../src/store/store.ts';
import { LLM_SPANS, OTEL_TRACES } from '../../src/store/tables.ts';
import { spanWith } from '../normalize/span-fixture.ts';

const DAY_NS = 86_400_000_000_000n;
// Now: the roll-ups keep 400 days, and drop older rows as they arrive.
const T0 = BigInt(Date.now()) * 1_000_000n;
const DAYS = 180;

let dataDir: string;
let walDir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'many-days-chdb-'));
  walDir = await mkdtemp(join(tmpdir(), 'many-days-wal-'));
  store = await openEmbeddedStore({ dataDir, database: 'many_days_test', ttlDays: 0 });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(walDir, { recursive: true, force: true });
});

function chatOn(day: number): SpanRecord {
  const start = T0 - BigInt(day) * DAY_NS;
  return spanWith(
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    },
    {
      traceId: (day + 1).toString(16).padStart(32, 'c'),
      spanId: (day + 1).toString(16).padStart(16, '0'),
      startTimeUnixNano: start,
      endTimeUnixNano: start + 1_000_000n,
    },
  );
}

describe('splitByDays', () => {
  const row = (day: number, i = 0): Row => ({
    Timestamp: toDateTime64(T0 + BigInt(day) * DAY_NS + BigInt(i)),
  });

  it('leaves rows of up to 50 days in one insert, as they came', () => {
    const rows = Array.from({ length: 120 }, (_, i) => row(i % 50, i));
    expect(splitByDays(rows)).toEqual([rows]);
  });

  it('cuts more days into inserts of 50 days, oldest first, the same way every time', () => {
    const rows = [...Array.from({ length: 120 }, (_, i) => row(119 - i)), { timestamp: 'not a time' }, {}];
    const groups = splitByDays(rows);
    expect(groups.map((g) => g.length)).toEqual([50, 50, 22]);
    // Rows without a timestamp go last, together; each group holds whole days.
    expect(groups[2]?.slice(-2)).toEqual([{ timestamp: 'not a time' }, {}]);
    expect(groups[1]?.[0]).toEqual(row(99));
    expect(groups[1]?.at(-1)).toEqual(row(50));
    expect(splitByDays([...rows])).toEqual(groups);
  });
});

describe('a round over more days than one insert may touch', () => {
  it('is stored once when the connection drops after one of its inserts, roll-ups included', async () => {
    const inserts: string[] = [];
    let dropAfterSecond = true;
    const dropping: Pick<Store, 'insert'> = {
      async insert(table, rows, options) {
        await store.insert(table, rows, options);
        if (table === OTEL_TRACES) inserts.push(options?.deduplicationToken ?? '');
        if (table === OTEL_TRACES && inserts.length === 2 && dropAfterSecond) {
          dropAfterSecond = false;
          throw new Error('socket hang up');
        }
      },
    };
    const wal = await Wal.open({ dir: walDir });
    const drain = startDrain({
      wal,
      store: dropping,
      toRows: createBatchTransform({ maxTextChars: 10_000, scorers: [] }),
      lingerMs: 0,
      retry: { initialMs: 1, maxMs: 5 },
    });
    const ingest = createIngest({ wal, drain });
    await ingest.ingest(
      'p1',
      Array.from({ length: DAYS }, (_, day) => chatOn(day)),
    );
    expect(await drain.waitForDrain(30_000)).toBe(true);
    await ingest.stop();

    // Four inserts of at most 50 days, the first two sent twice (the retry after the drop).
    expect(inserts).toHaveLength(6);
    expect(new Set(inserts).size).toBe(4);
    for (const table of [OTEL_TRACES, LLM_SPANS]) {
      const [counts] = await store.query<{ n: number | string; days: number | string }>(
        `SELECT count() AS n, uniqExact(toDate(${table === OTEL_TRACES ? 'Timestamp' : 'timestamp'})) AS days FROM ${table}`,
      );
      expect([Number(counts?.n), Number(counts?.days)], table).toEqual([DAYS, DAYS]);
    }
    const [hourly] = await store.query<{ calls: number | string }>(
      'SELECT sum(calls) AS calls FROM llm_spans_hourly',
    );
    expect(Number(hourly?.calls)).toBe(DAYS);
  });

  it('keeps the days stored before ClickHouse refused a later day group, and loses only the refused row', async () => {
    const bad = chatOn(5).spanId;
    const transform = createBatchTransform({ maxTextChars: 10_000, scorers: [] });
    // A negative duration for a UInt64 column: refused in the newest day group, after the older ones went in.
    const toRows = async (batches: Parameters<typeof transform>[0]) => {
      const tables = await transform(batches);
      for (const row of tables.get(OTEL_TRACES) ?? []) if (row.SpanId === bad) row.Duration = -1;
      return tables;
    };
    const tokens: string[] = [];
    const counting: Pick<Store, 'insert'> = {
      async insert(table, rows, options) {
        if (table === OTEL_TRACES) tokens.push(options?.deduplicationToken ?? '');
        await store.insert(table, rows, options);
      },
    };
    const wal = await Wal.open({ dir: walDir });
    const drain = startDrain({ wal, store: counting, toRows, lingerMs: 0 });
    const ingest = createIngest({ wal, drain });
    await ingest.ingest(
      'p2',
      Array.from({ length: DAYS }, (_, day) => chatOn(day)),
    );
    expect(await drain.waitForDrain(30_000)).toBe(true);
    await ingest.stop();

    const copies = await store.query<{ SpanId: string; n: number | string }>(
      `SELECT SpanId, count() AS n FROM ${OTEL_TRACES} WHERE ProjectId = 'p2' GROUP BY SpanId`,
    );
    expect(copies).toHaveLength(DAYS - 1);
    expect(copies.filter((c) => Number(c.n) !== 1)).toEqual([]);
    expect(copies.map((c) => c.SpanId)).not.toContain(bad);
    expect(drain.stats().deadLettered).toBe(1);
    const [letter] = (await readFile(join(walDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letter.refused.flatMap((r: { rows: Row[] }) => r.rows.map((row) => row.SpanId))).toEqual([bad]);
    // The rows were found by halving the entry, after the day groups went in under the round's tokens.
    expect(tokens.some((t) => t.includes(':rows'))).toBe(true);
  });
});
