import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toEvaluationRow } from '../../src/pipeline/transform/record-rows.ts';
import { createBatchWriter } from '../../src/store/batch-writer.ts';
import { StoreQueryError } from '../../src/store/errors.ts';
import type { Row, Store } from '../../src/store/store.ts';
import { EVALUATIONS } from '../../src/store/tables.ts';
import { storeBackends } from '../helpers/store-backends.ts';

function evaluations(projectId: string, count: number, offset = 0): Row[] {
  return Array.from({ length: count }, (_, i) =>
    toEvaluationRow({
      projectId,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, offset + i)),
      traceId: `trace-${offset + i}`,
      spanId: 'span',
      evaluator: 'pii',
      score: offset + i,
      source: 'collector',
    }),
  );
}

describe.each(storeBackends())('batch writer on $name', (backend) => {
  let store: Store;
  const countOf = async (projectId: string) => {
    const [row] = await store.query<{ n: number }>(
      `SELECT count() AS n FROM evaluations WHERE project_id = {p:String}`,
      {
        params: { p: projectId },
      },
    );
    return row?.n ?? -1;
  };

  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  });
  afterAll(() => backend.cleanup());

  it('inserts as soon as a table holds maxRows, and resolves each write once its rows are in', async () => {
    const writer = createBatchWriter(store, { maxRows: 3, maxDelayMs: 600_000 });
    let secondSettled = false;
    const first = writer.write(EVALUATIONS, evaluations('size', 2));
    expect(writer.stats().queuedRows).toBe(2);
    const second = writer.write(EVALUATIONS, evaluations('size', 2, 2)).then(() => {
      secondSettled = true;
    });
    await first;
    expect(await countOf('size')).toBe(3);
    expect(secondSettled).toBe(false);
    expect(writer.stats()).toMatchObject({ queuedRows: 1, inserts: 1, rowsWritten: 3, failures: 0 });
    await writer.flush();
    await second;
    expect(await countOf('size')).toBe(4);
    const scores = await store.query<{ score: number }>(
      `SELECT score FROM evaluations WHERE project_id = 'size' ORDER BY score`,
    );
    expect(scores.map((row) => row.score)).toEqual([0, 1, 2, 3]);
    await writer.close();
  });

  it('inserts what waits once maxDelayMs has passed', async () => {
    const writer = createBatchWriter(store, { maxRows: 1000, maxDelayMs: 20 });
    await Promise.all([
      writer.write(EVALUATIONS, evaluations('timer', 3)),
      writer.write(EVALUATIONS, evaluations('timer', 2, 3)),
    ]);
    expect(await countOf('timer')).toBe(5);
    const stats = writer.stats();
    expect(stats).toMatchObject({ queuedRows: 0, inserts: 1, rowsWritten: 5, failures: 0 });
    expect(stats.avgInsertMs).toBeGreaterThan(0);
    await writer.close();
  });

  it('splits a large write into inserts of at most maxRows', async () => {
    const writer = createBatchWriter(store, { maxRows: 4, maxDelayMs: 600_000 });
    const write = writer.write(EVALUATIONS, evaluations('split', 10));
    await writer.flush();
    await write;
    expect(await countOf('split')).toBe(10);
    expect(writer.stats()).toMatchObject({ inserts: 3, rowsWritten: 10 });
    await writer.close();
  });

  it('rejects the writes of a failed insert, and flush reports it', async () => {
    const writer = createBatchWriter(store, { maxRows: 100, maxDelayMs: 600_000 });
    const bad = writer.write('no_such_table', [{ x: 1 }]);
    const failed = bad.catch((error: unknown) => error);
    await expect(writer.flush()).rejects.toBeInstanceOf(StoreQueryError);
    expect(await failed).toBeInstanceOf(StoreQueryError);
    expect(writer.stats()).toMatchObject({ failures: 1, queuedRows: 0, rowsWritten: 0 });
    const later = writer.write(EVALUATIONS, evaluations('after-failure', 1));
    await writer.close();
    await later;
    expect(await countOf('after-failure')).toBe(1);
    await expect(writer.write(EVALUATIONS, evaluations('closed', 1))).rejects.toThrow(/closed/);
  });

  it('writes a replayed tokened write once', async () => {
    const writer = createBatchWriter(store, { maxRows: 2, maxDelayMs: 600_000 });
    const rows = evaluations('replay', 5);
    await writer.write(EVALUATIONS, rows, { deduplicationToken: 'wal:7' });
    await writer.write(EVALUATIONS, rows, { deduplicationToken: 'wal:7' });
    expect(await countOf('replay')).toBe(5);
    expect(writer.stats().inserts).toBe(6);
    await writer.close();
  });
});
