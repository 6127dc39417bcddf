import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import type { PositionedBatch } from '../../src/pipeline/drain/drain.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import { rowsMissingFrom } from '../../src/pipeline/drain/replay-check.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import type { EmbeddedStore } from '../../src/store/chdb-store.ts';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';
import type { Row, Store } from '../../src/store/store.ts';
import { EVENTS_TABLE, ROWS_TABLE, span, testRowKey, testTablesDdl, toTestRows } from './fixtures/spans.ts';

let dataDir: string;
let store: EmbeddedStore;
const dirs: string[] = [];
let testNo = 0;
let rowsTable: string;
let eventsTable: string;
let walDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'replay-chdb-'));
  store = await openEmbeddedStore({ dataDir, database: 'replay_test' });
});
afterAll(async () => {
  await store?.close();
  for (const dir of [dataDir, ...dirs]) await rm(dir, { recursive: true, force: true });
});

/** Fresh tables per test, under the names the drain inserts into, so the check reads the same tables. */
beforeEach(async () => {
  testNo++;
  for (const ddl of testTablesDdl(store.database, `_${testNo}`)) await store.command(ddl);
  rowsTable = `${ROWS_TABLE}_${testNo}`;
  eventsTable = `${EVENTS_TABLE}_${testNo}`;
  walDir = await mkdtemp(join(tmpdir(), 'replay-wal-'));
  dirs.push(walDir);
});

/** Rows of project `refused` carry a negative UInt64: ClickHouse refuses any insert holding one. */
const toRows = (batches: PositionedBatch[]) => {
  const named = new Map<string, Row[]>();
  for (const [table, rows] of toTestRows(batches)) {
    if (table === ROWS_TABLE) for (const row of rows) if (row.project === 'refused') row.start = -1;
    named.set(table === ROWS_TABLE ? rowsTable : eventsTable, rows);
  }
  return named;
};

/** A span's row is (project, id); its event rows are told apart by their time. */
const bothKeyed = (table: string) => testRowKey(`_${testNo}`)(table);

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function countsById(table: string): Promise<Map<string, number>> {
  const rows = await store.query<{ id: string; n: number }>(
    `SELECT id, count() AS n FROM ${table} GROUP BY id`,
  );
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

function expectExactlyOnce(counts: Map<string, number>, wanted: string[]): void {
  expect(counts.size).toBe(wanted.length);
  for (const id of wanted) expect(counts.get(id), id).toBe(1);
}

/**
 * A first process stages a range and inserts every table under its tokens,
 * then dies before the commit. Returns the span ids of the range.
 */
async function crashAfterInserts(spans: number): Promise<string[]> {
  const wal = await Wal.open({ dir: walDir });
  const sent = ids('s', spans);
  const crashing: Pick<Store, 'insert'> = {
    async insert(table, rows, options) {
      await store.insert(table, rows, options);
      // Tables go in name order: after the last one the "process" is gone, before its commit.
      if (table === rowsTable) await new Promise(() => {});
    },
  };
  for (let r = 0; r < sent.length; r += 10)
    await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: sent.slice(r, r + 10).map((id) => span(id)) }),
    );
  startDrain({ wal, store: crashing, toRows, lingerMs: 0 }).wake();
  while ((await countsById(rowsTable)).size < spans) await new Promise((r) => setTimeout(r, 10));
  expect(wal.pending).toEqual({ from: 0, to: wal.endPosition });
  return sent;
}

/**
 * The engine keeps the tokens of the lost inserts but not their rows: a
 * synchronous mutation deletes the parts' rows and leaves the deduplication
 * log alone (unlike TRUNCATE, which clears it), the state a kill between the
 * log write and the part commit leaves behind.
 */
async function loseRows(table: string, where = '1'): Promise<void> {
  await store.command(`ALTER TABLE ${table} DELETE WHERE ${where} SETTINGS mutations_sync = 2`);
}

/** Restarts on the log directory and drains the staged range. */
async function restart(options: { rowKey?: (table: string) => string[] | undefined } = {}) {
  const wal = await Wal.open({ dir: walDir });
  expect(wal.pending).not.toBeNull();
  const drain = startDrain({ wal, store, toRows, lingerMs: 0, reader: store, ...options });
  drain.wake();
  expect(await drain.waitForDrain(20_000)).toBe(true);
  await drain.stop();
  expect(wal.pending).toBeNull();
  await wal.close();
  return drain.stats();
}

describe('crash replay when ClickHouse kept a token but lost its rows', () => {
  it('trusting the tokens alone drops the replay: the failure being guarded against', async () => {
    await crashAfterInserts(30);
    await loseRows(rowsTable);
    await loseRows(eventsTable);
    const stats = await restart();
    // The inserts were sent and acknowledged, and the engine dropped them as duplicates.
    expect(stats.rowsInserted).toEqual({ [rowsTable]: 30, [eventsTable]: 30 });
    expect((await countsById(rowsTable)).size).toBe(0);
    expect((await countsById(eventsTable)).size).toBe(0);
  });

  it('with row keys, re-inserts the lost rows under a fresh token: every row exactly once', async () => {
    const sent = await crashAfterInserts(30);
    await loseRows(rowsTable);
    await loseRows(eventsTable);
    const stats = await restart({ rowKey: bothKeyed });
    expect(stats.rowsInserted).toEqual({ [rowsTable]: 30, [eventsTable]: 30 });
    expectExactlyOnce(await countsById(rowsTable), sent);
    expectExactlyOnce(await countsById(eventsTable), sent);
  });

  it('inserts only the missing rows when some of a table survived', async () => {
    const sent = await crashAfterInserts(30);
    await loseRows(rowsTable, `id IN ('s-3', 's-17', 's-29')`);
    const stats = await restart({ rowKey: bothKeyed });
    expect(stats.rowsInserted).toEqual({ [rowsTable]: 3 });
    expectExactlyOnce(await countsById(rowsTable), sent);
    expectExactlyOnce(await countsById(eventsTable), sent);
  });

  it('skips tables whose rows are all stored: a plain replay still writes exactly once', async () => {
    const sent = await crashAfterInserts(30);
    const stats = await restart({ rowKey: bothKeyed });
    expect(stats.rowsInserted).toEqual({});
    expect(stats.entriesCommitted).toBe(3);
    expectExactlyOnce(await countsById(rowsTable), sent);
    expectExactlyOnce(await countsById(eventsTable), sent);
  });

  it('leaves a table without a key to its tokens, as before', async () => {
    const sent = await crashAfterInserts(30);
    await loseRows(rowsTable);
    await loseRows(eventsTable);
    const onlyRows = (table: string) => (table === rowsTable ? ['project', 'id'] : undefined);
    const stats = await restart({ rowKey: onlyRows });
    expect(stats.rowsInserted).toEqual({ [rowsTable]: 30, [eventsTable]: 30 });
    expectExactlyOnce(await countsById(rowsTable), sent);
    expect((await countsById(eventsTable)).size).toBe(0);
  });

  it('checks only the range a previous process staged, not later rounds', async () => {
    const sent = await crashAfterInserts(10);
    const wal = await Wal.open({ dir: walDir });
    const later = ids('later', 10);
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 2, spans: later.map((id) => span(id)) }));
    const looked: string[] = [];
    const reader = {
      database: store.database,
      query: <T>(sql: string, options?: Parameters<Store['query']>[1]) => {
        looked.push(sql);
        return store.query<T>(sql, options);
      },
    };
    const drain = startDrain({ wal, store, toRows, lingerMs: 0, rowKey: bothKeyed, reader });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    await drain.stop();
    await wal.close();
    expect(looked).toHaveLength(2);
    expectExactlyOnce(await countsById(rowsTable), [...sent, ...later]);
    expectExactlyOnce(await countsById(eventsTable), [...sent, ...later]);
  });

  it('checks entry by entry when the replayed range holds rows ClickHouse refuses', async () => {
    const wal = await Wal.open({ dir: walDir });
    const good = [...ids('a', 10), ...ids('c', 10)];
    await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: ids('a', 10).map((id) => span(id)) }),
    );
    const refused = await wal.append(
      encodeBatch({ projectId: 'refused', receivedAt: 1, spans: [span('bad')] }),
    );
    await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: ids('c', 10).map((id) => span(id)) }),
    );
    // The range is refused, entries a and c go in under their own tokens, then the process dies.
    const crashing: Pick<Store, 'insert'> = {
      async insert(table, rows, options) {
        await store.insert(table, rows, options);
        if (table === rowsTable && rows[0]?.id === 'c-0') await new Promise(() => {});
      },
    };
    startDrain({ wal, store: crashing, toRows, lingerMs: 0 }).wake();
    while ((await countsById(rowsTable)).size < 20) await new Promise((r) => setTimeout(r, 10));
    await loseRows(rowsTable);
    await loseRows(eventsTable);

    await restart({ rowKey: bothKeyed });
    expectExactlyOnce(await countsById(rowsTable), good);
    expectExactlyOnce(await countsById(eventsTable), [...good, 'bad']);
    const letters = (await readFile(join(walDir, 'dead-letter.jsonl'), 'utf8')).trim().split('\n');
    expect(letters.map((line) => JSON.parse(line).position)).toEqual([refused]);
  });

  it('refuses a row key without a reader', async () => {
    const wal = await Wal.open({ dir: walDir });
    expect(() => startDrain({ wal, store, toRows, rowKey: bothKeyed })).toThrow(/reader/);
    await wal.close();
  });
});

describe('rowsMissingFrom', () => {
  it('finds absent keys over several bound chunks, whatever the strings hold', async () => {
    const table = `keyed_${testNo}`;
    await store.command(`CREATE TABLE ${table} (a String, b UInt32, c String) ENGINE = MergeTree ORDER BY a`);
    const odd = ["it's", 'back\\slash', '["json",1]', 'tab\there', 'ünï', '', '{k0:String}'];
    const stored: Row[] = Array.from({ length: 2_500 }, (_, i) => ({ a: `a${i}`, b: i, c: 'x' }));
    for (const [i, a] of odd.entries()) stored.push({ a, b: 7, c: String(i) });
    await store.insert(table, stored);
    const absent: Row[] = [
      ...Array.from({ length: 500 }, (_, i) => ({ a: `a${i}`, b: i + 1, c: 'y' })),
      ...odd.map((a) => ({ a, b: 8, c: 'z' })),
      { a: '["json"', b: 1, c: 'z' },
    ];
    const replay = [...stored.slice(0, 2_300), ...absent, ...stored.slice(2_500)];
    let queries = 0;
    const counting = {
      database: store.database,
      query: <T>(sql: string, options?: Parameters<Store['query']>[1]) => {
        queries++;
        return store.query<T>(sql, options);
      },
    };
    expect(await rowsMissingFrom(counting, table, ['a', 'b'], replay, 1_000)).toEqual(absent);
    expect(queries).toBe(3);
    expect(await rowsMissingFrom(store, table, ['a', 'b'], replay)).toEqual(absent);
    expect(await rowsMissingFrom(store, table, ['a'], [{ a: 'a1' }, { a: 'nope' }])).toEqual([{ a: 'nope' }]);
  });

  it('declines rows whose key text is uncertain', async () => {
    expect(await rowsMissingFrom(store, 'anything', ['a'], [{ a: 1.5 }])).toBeNull();
    expect(await rowsMissingFrom(store, 'anything', ['a'], [{ a: null }])).toBeNull();
    expect(await rowsMissingFrom(store, 'anything', [], [{ a: 'x' }])).toBeNull();
  });
});
