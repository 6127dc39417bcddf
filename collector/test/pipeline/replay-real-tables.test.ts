import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scorers } from '@oversight/scorers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import type { PositionedBatch } from '../../src/pipeline/drain/drain.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import { replayCheckFor } from '../../src/pipeline/drain/natural-keys.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/store/chdb-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  EVALUATIONS,
  FEEDBACK,
  LLM_SPANS,
  OTEL_TRACES,
  RETRIEVAL_DOCUMENTS,
} from '../../src/store/tables.ts';
import { spanWith } from '../normalize/span-fixture.ts';

const TABLES = [EVALUATIONS, FEEDBACK, LLM_SPANS, OTEL_TRACES, RETRIEVAL_DOCUMENTS];
const messages = (role: string, content: string) =>
  JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

/** Chats (scored by every scorer, one with a reported score) and a retrieval of two documents. */
function spans(entry: number): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (let i = 0; i < 4; i++) {
    const id = entry * 10 + i;
    out.push(
      spanWith(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': messages('user', `Refund window for order ${id}? Mail jo${id}@acme.io`),
          'gen_ai.output.messages': messages('assistant', 'Thirty days, you stupid idiot.'),
        },
        {
          traceId: `${entry}`.padStart(32, 'a'),
          spanId: id.toString(16).padStart(16, '0'),
          events:
            i === 0
              ? [
                  {
                    timeUnixNano: 1_700_000_000_700_000_000n,
                    name: 'gen_ai.evaluation.result',
                    attributes: {
                      'gen_ai.evaluation.name': 'helpfulness',
                      'gen_ai.evaluation.score.value': 0.75,
                    },
                  },
                ]
              : [],
        },
      ),
    );
  }
  out.push(
    spanWith(
      {
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.data_source.id': 'kb-docs',
        'gen_ai.retrieval.query.text': `refund policy ${entry}`,
        'gen_ai.retrieval.documents': JSON.stringify([
          { id: `d${entry}`, score: 0.9, content: 'Refunds within 30 days.' },
          { id: `e${entry}`, score: 0.4 },
        ]),
      },
      { traceId: `${entry}`.padStart(32, 'b'), spanId: (1000 + entry).toString(16).padStart(16, '0') },
    ),
  );
  return out;
}

const toRows = createBatchTransform({ maxTextChars: 100_000, scorers: Object.values(scorers) });

let dataDir: string;
let walDir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'replay-real-chdb-'));
  walDir = await mkdtemp(join(tmpdir(), 'replay-real-wal-'));
  store = await openEmbeddedStore({ dataDir, database: 'replay_real_test', ttlDays: 0 });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(walDir, { recursive: true, force: true });
});

async function count(table: string): Promise<number> {
  const rows = await store.query<{ n: number }>(`SELECT count() AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

describe('crash replay into the real tables', () => {
  it('restores rows of every table the engine lost after logging their tokens', async () => {
    const batches: PositionedBatch[] = [];
    const wal = await Wal.open({ dir: walDir });
    for (let entry = 0; entry < 3; entry++) {
      const batch = { projectId: `project-${entry % 2}`, receivedAt: 1_700_000_000_000, spans: spans(entry) };
      const position = await wal.append(encodeBatch(batch));
      batches.push({ ...batch, position });
    }
    // A feedback request is an entry with no spans; its rows replay like theirs.
    const feedbackBatch = {
      projectId: 'project-0',
      receivedAt: 1_700_000_000_000,
      spans: [],
      feedback: [0, 1, 2].map((i) => ({
        id: `fb-${i}`,
        timestamp: 1_700_000_000_000 + i,
        traceId: `${i}`.padStart(32, 'a'),
        kind: 'thumbs' as const,
        value: i % 2,
      })),
    };
    batches.push({ ...feedbackBatch, position: await wal.append(encodeBatch(feedbackBatch)) });
    const expected = toRows(batches);
    for (const table of TABLES) expect(expected.get(table)?.length, table).toBeGreaterThan(0);

    // Every table inserted under its token, then the process is gone before the commit.
    const last = TABLES.at(-1);
    const crashing: Pick<Store, 'insert'> = {
      async insert(table, rows, options) {
        await store.insert(table, rows, options);
        if (table === last) await new Promise(() => {});
      },
    };
    startDrain({ wal, store: crashing, toRows, lingerMs: 0 }).wake();
    while ((await count(RETRIEVAL_DOCUMENTS)) === 0) await new Promise((r) => setTimeout(r, 10));
    // Parts gone, deduplication log kept: what a kill between the two leaves.
    for (const table of TABLES)
      await store.command(`ALTER TABLE ${table} DELETE WHERE 1 SETTINGS mutations_sync = 2`);

    const reopened = await Wal.open({ dir: walDir });
    expect(reopened.pending).not.toBeNull();
    const drain = startDrain({
      wal: reopened,
      store,
      toRows,
      lingerMs: 0,
      ...replayCheckFor(store),
    });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    await drain.stop();
    await reopened.close();

    for (const table of TABLES) expect(await count(table), table).toBe(expected.get(table)?.length);
    const traces = await store.query<{ n: number; spans: number }>(
      `SELECT count() AS n, uniqExact(ProjectId, TraceId, SpanId) AS spans FROM ${OTEL_TRACES}`,
    );
    expect(Number(traces[0]?.spans)).toBe(Number(traces[0]?.n));
    const documents = await store.query<{ document_id: string; rank: number }>(
      `SELECT document_id, rank FROM ${RETRIEVAL_DOCUMENTS} ORDER BY document_id`,
    );
    expect(documents.map((d) => d.document_id)).toEqual(['d0', 'd1', 'd2', 'e0', 'e1', 'e2']);
    const feedback = await store.query<{ id: string }>(`SELECT id FROM ${FEEDBACK} ORDER BY id`);
    expect(feedback.map((f) => f.id)).toEqual(['fb-0', 'fb-1', 'fb-2']);
  });

  it('is left off for a server, which outlives the collector and keeps its parts', () => {
    expect(replayCheckFor(store).reader).toBe(store);
    expect(replayCheckFor({ ...store, kind: 'server' })).toEqual({});
  });
});
