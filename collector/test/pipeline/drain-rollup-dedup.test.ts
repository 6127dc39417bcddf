import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';
import type { Store } from '../../src/store/store.ts';
import { RETRIEVAL_DOCUMENTS } from '../../src/store/tables.ts';
import { spanWith } from '../normalize/span-fixture.ts';

const START = 1_700_000_000_000_000_000n;
const messages = (role: string, content: string) =>
  JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

/**
 * Four chats of 100 input tokens, each with one reported score, and a
 * retrieval (an llm_spans row too): rows for every table a roll-up is fed from.
 */
function spans(round: number): SpanRecord[] {
  const chats = [0, 1, 2, 3].map((i) =>
    spanWith(
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.input.messages': messages('user', `question ${i}`),
        'gen_ai.output.messages': messages('assistant', `answer ${i}`),
      },
      {
        // The same trace ids, times and values each round: only the span ids tell the rounds apart.
        traceId: `${i}`.padStart(32, 'a'),
        spanId: `${round}${i}`.padStart(16, '0'),
        startTimeUnixNano: START,
        endTimeUnixNano: START + 1_000_000n,
        events: [
          {
            timeUnixNano: START + 500_000n,
            name: 'gen_ai.evaluation.result',
            attributes: { 'gen_ai.evaluation.name': 'helpfulness', 'gen_ai.evaluation.score.value': 0.75 },
          },
        ],
      },
    ),
  );
  const retrieval = spanWith(
    {
      'gen_ai.operation.name': 'retrieval',
      'gen_ai.data_source.id': 'kb-docs',
      'gen_ai.retrieval.query.text': 'refund policy',
      'gen_ai.retrieval.documents': JSON.stringify([{ id: 'd', score: 0.9 }]),
    },
    {
      traceId: '0'.padStart(32, 'a'),
      spanId: `${round}9`.padStart(16, '0'),
      startTimeUnixNano: START,
      endTimeUnixNano: START + 1_000_000n,
    },
  );
  return [...chats, retrieval];
}

let dataDir: string;
let walDir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rollup-dedup-chdb-'));
  walDir = await mkdtemp(join(tmpdir(), 'rollup-dedup-wal-'));
  store = await openEmbeddedStore({ dataDir, database: 'rollup_dedup_test', ttlDays: 0, rollupTtlDays: 0 });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(walDir, { recursive: true, force: true });
});

async function one<T>(sql: string): Promise<T> {
  return (await store.query<T>(sql))[0] as T;
}

describe('a retried drain round and the roll-ups its inserts feed', () => {
  it('counts each span and score once in the hourly tables, and a later round with the same figures again', async () => {
    const wal = await Wal.open({ dir: walDir, fsync: false });
    // The last table of the round fails once: every table before it is sent again under the same tokens.
    let failures = 0;
    const flaky: Pick<Store, 'insert'> = {
      async insert(table, rows, options) {
        if (table === RETRIEVAL_DOCUMENTS && failures === 0) {
          failures++;
          throw new Error('connect ECONNREFUSED (ClickHouse restarting)');
        }
        await store.insert(table, rows, options);
      },
    };
    const drain = startDrain({
      wal,
      store: flaky,
      toRows: createBatchTransform({ maxTextChars: 100_000, scorers: [] }),
      lingerMs: 0,
      retry: { initialMs: 1, maxMs: 5 },
      fsync: false,
    });
    try {
      await wal.append(encodeBatch({ projectId: 'p', receivedAt: 1_700_000_000_000, spans: spans(1) }));
      drain.wake();
      expect(await drain.waitForDrain(20_000)).toBe(true);
      expect(failures).toBe(1);
      expect(drain.stats().failedRounds).toBe(1);

      expect(await one('SELECT count() AS n, sum(input_tokens) AS tokens FROM llm_spans')).toEqual({
        n: 5,
        tokens: 400,
      });
      expect(
        await one('SELECT sum(calls) AS calls, sum(input_tokens) AS tokens FROM llm_spans_hourly'),
      ).toEqual({ calls: 5, tokens: 400 });
      expect(await one('SELECT count() AS n FROM evaluations')).toEqual({ n: 4 });
      expect(await one('SELECT sum(count) AS n, sum(score_sum) AS total FROM evaluations_hourly')).toEqual({
        n: 4,
        total: 3,
      });
      // One partial row per trace and insert, so a replayed block would show as a second row.
      expect(await one('SELECT count() AS n FROM otel_traces_trace_id_ts')).toEqual({ n: 4 });

      // A new round whose roll-up blocks are identical to the first's is not a replay.
      await wal.append(encodeBatch({ projectId: 'p', receivedAt: 1_700_000_000_000, spans: spans(2) }));
      drain.wake();
      expect(await drain.waitForDrain(20_000)).toBe(true);
      expect(
        await one('SELECT sum(calls) AS calls, sum(input_tokens) AS tokens FROM llm_spans_hourly'),
      ).toEqual({ calls: 10, tokens: 800 });
      expect(await one('SELECT sum(count) AS n FROM evaluations_hourly')).toEqual({ n: 8 });
      expect(
        await one('SELECT count() AS rows, uniqExact(TraceId) AS traces FROM otel_traces_trace_id_ts'),
      ).toEqual({ rows: 8, traces: 4 });
    } finally {
      await drain.stop();
      await wal.close();
    }
  });
});
