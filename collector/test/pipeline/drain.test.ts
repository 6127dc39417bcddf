import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import type { PositionedBatch } from '../../src/pipeline/drain/drain.ts';
import { startDrain } from '../../src/pipeline/drain/drain.ts';
import { createIngest, IngestClosedError } from '../../src/pipeline/ingest.ts';
import { openPipeline } from '../../src/pipeline/open-pipeline.ts';
import { WalFullError } from '../../src/pipeline/wal/errors.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import type { InsertOptions, Row, Store } from '../../src/store/store.ts';
import { expectExactlyOnce, useDrainHarness } from './fixtures/drain-harness.ts';
import { EVENTS_TABLE, ROWS_TABLE, span, toTestRows } from './fixtures/spans.ts';

const h = useDrainHarness('drain-test');

/** Delegates to the real store, failing the way a down server would while `down()` says so. */
function flakyStore(down: () => boolean): Store & { calls: number; failures: number } {
  const wrapper = {
    ...h.scoped,
    calls: 0,
    failures: 0,
    async insert(table: string, rows: Row[], options?: InsertOptions) {
      wrapper.calls++;
      if (down()) {
        wrapper.failures++;
        throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
      }
      await h.scoped.insert(table, rows, options);
    },
  };
  return wrapper;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('drain into chdb', () => {
  it('inserts every accepted span once, commits the log and retires its segments', async () => {
    const { drain, ingest } = await openPipeline({
      wal: { dir: h.walDir, segmentBytes: 64 * 1024 },
      store: h.scoped,
      toRows: toTestRows,
      drain: { maxEntriesPerInsert: 20, lingerMs: 5 },
    });
    const sent = ids('ok', 300);
    await Promise.all(
      Array.from({ length: 30 }, (_, r) =>
        ingest.ingest(
          'p1',
          sent.slice(r * 10, r * 10 + 10).map((id, i) => span(id, i)),
        ),
      ),
    );
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), sent);
    expect((await h.countsById(EVENTS_TABLE)).size).toBe(300);
    expect(drain.stats()).toMatchObject({ entriesCommitted: 30, deadLettered: 0 });
    expect(drain.stats().rowsInserted).toEqual({ [ROWS_TABLE]: 300, [EVENTS_TABLE]: 300 });
    expect(ingest.health()).toMatchObject({ ready: true, lagEntries: 0, storeHealthy: true });
    expect(await ingest.stop()).toEqual({ drained: true });
    expect((await readdir(h.walDir)).filter((f) => f.endsWith('.wal'))).toHaveLength(1);
    await expect(ingest.ingest('p1', [span('late')])).rejects.toBeInstanceOf(IngestClosedError);
  });

  it('keeps accepting while the store is down, retries with backoff, and delivers every row once', async () => {
    let storeDown = true;
    const flaky = flakyStore(() => storeDown);
    const wal = await Wal.open({ dir: h.walDir });
    const errors: string[] = [];
    const drain = startDrain({
      wal,
      store: flaky,
      toRows: toTestRows,
      maxEntriesPerInsert: 7,
      lingerMs: 0,
      retry: { initialMs: 5, maxMs: 40 },
      onError: (e) => errors.push(e.message),
    });
    const ingest = createIngest({ wal, drain });
    const sent = ids('outage', 100);
    for (let r = 0; r < 20; r++) {
      await ingest.ingest(
        'p1',
        sent.slice(r * 5, r * 5 + 5).map((id, i) => span(id, i)),
      );
    }
    // Every request was acknowledged with the store down; wait for several failed rounds.
    while (flaky.failures < 4) await new Promise((r) => setTimeout(r, 10));
    const during = ingest.health();
    expect(during.storeHealthy).toBe(false);
    expect(during.ready).toBe(true);
    expect(during.reasons.join()).toMatch(/store unavailable: connect ECONNREFUSED/);
    expect(during.lagEntries).toBe(20);
    expect((await h.countsById()).size).toBe(0);

    storeDown = false;
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), sent);
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), sent);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(ingest.health()).toMatchObject({ storeHealthy: true, lagEntries: 0 });
    await ingest.stop();
  });

  it('writes nothing twice when an insert succeeded but the round failed before its commit', async () => {
    // The second table's insert fails after the first table's went through: the retry resends both.
    let failEventsOnce = 3;
    const wrapper: Store = {
      ...h.scoped,
      async insert(table, rows, options) {
        await h.scoped.insert(table, rows, options);
        if (table === EVENTS_TABLE && failEventsOnce-- > 0) throw new Error('connection reset after insert');
      },
    };
    const wal = await Wal.open({ dir: h.walDir });
    const drain = startDrain({
      wal,
      store: wrapper,
      toRows: toTestRows,
      lingerMs: 0,
      retry: { initialMs: 1, maxMs: 5 },
    });
    const ingest = createIngest({ wal, drain });
    const sent = ids('retry', 40);
    for (let r = 0; r < 4; r++)
      await ingest.ingest(
        'p1',
        sent.slice(r * 10, r * 10 + 10).map((id) => span(id)),
      );
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expect(drain.stats().failedRounds).toBe(3);
    expectExactlyOnce(await h.countsById(), sent);
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), sent);
    await ingest.stop();
  });

  it('replays exactly the staged range after a crash between insert and commit, deduplicated by ClickHouse', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    let hang = true;
    const crashing: Store = {
      ...h.scoped,
      async insert(table, rows, options) {
        await h.scoped.insert(table, rows, options);
        // The process "dies" after the last table's insert: rows are in ClickHouse, the commit never happens.
        if (hang && table === ROWS_TABLE) await new Promise(() => {});
      },
    };
    const first = startDrain({ wal, store: crashing, toRows: toTestRows, lingerMs: 0 });
    const before = ids('before', 30);
    for (let r = 0; r < 3; r++)
      await wal.append(
        encodeBatch({
          projectId: 'p1',
          receivedAt: 1,
          spans: before.slice(r * 10, r * 10 + 10).map((id) => span(id)),
        }),
      );
    first.wake();
    while ((await h.countsById()).size < 30) await new Promise((r) => setTimeout(r, 10));
    expect(wal.pending).toEqual({ from: 0, to: wal.endPosition });

    // Restart on the same directory; more requests arrived meanwhile, so a fresh read would form a bigger round.
    hang = false;
    const reopened = await Wal.open({ dir: h.walDir });
    expect(reopened.committedPosition).toBe(0);
    const after = ids('after', 20);
    for (let r = 0; r < 2; r++)
      await reopened.append(
        encodeBatch({
          projectId: 'p1',
          receivedAt: 2,
          spans: after.slice(r * 10, r * 10 + 10).map((id) => span(id)),
        }),
      );
    const second = startDrain({ wal: reopened, store: h.scoped, toRows: toTestRows, lingerMs: 0 });
    second.wake();
    expect(await second.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), [...before, ...after]);
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), [...before, ...after]);
    await second.stop();
    await reopened.close();
  });

  it('dead-letters undecodable and unconvertible entries, and delivers the rest', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const toRows = (batches: PositionedBatch[]) => {
      if (batches.some((b) => b.projectId === 'poison')) throw new Error('cannot normalize');
      return toTestRows(batches);
    };
    const drain = startDrain({ wal, store: h.scoped, toRows, lingerMs: 0 });
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 1, spans: [span('good-1')] }));
    const garbage = await wal.append(new TextEncoder().encode('not a batch'));
    const poisoned = await wal.append(
      encodeBatch({ projectId: 'poison', receivedAt: 1, spans: [span('bad')] }),
    );
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 1, spans: [span('good-2')] }));
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), ['good-1', 'good-2']);
    expect(drain.stats().deadLettered).toBe(2);
    const letters = (await readFile(join(h.walDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.position, l.walId])).toEqual([
      [garbage, wal.id],
      [poisoned, wal.id],
    ]);
    expect(letters[0].reason).toMatch(/^decode: unknown batch format/);
    expect(Buffer.from(letters[0].payload, 'base64').toString()).toBe('not a batch');
    expect(letters[1].reason).toBe('toRows: cannot normalize');
    expect(wal.stats().uncommittedEntries).toBe(0);
    await drain.stop();
    await wal.close();
  });

  it('dead-letters the entry whose rows ClickHouse refuses, keeps the rest, and never writes twice', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    // A negative value for a UInt64 column: ClickHouse refuses the whole insert
    // (CANNOT_PARSE_NUMBER). Retrying can never help, so it must not block the log.
    const toRows = (batches: PositionedBatch[]) => {
      const tables = toTestRows(batches);
      for (const row of tables.get(ROWS_TABLE) ?? []) if (row.project === 'refused') row.start = -1;
      return tables;
    };
    for (const [project, id] of [
      ['p1', 'ok-1'],
      ['refused', 'bad'],
      ['p1', 'ok-2'],
    ]) {
      await wal.append(
        encodeBatch({ projectId: project as string, receivedAt: 1, spans: [span(id as string)] }),
      );
    }
    // And in the same round, one that never decodes: lettered once, not again by the isolation.
    const garbage = await wal.append(new TextEncoder().encode('not a batch'));
    const drain = startDrain({ wal, store: h.scoped, toRows, lingerMs: 0 });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), ['ok-1', 'ok-2']);
    // The events table took the whole range before the rows table refused it: not written again.
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), ['ok-1', 'bad', 'ok-2']);
    expect(drain.stats().deadLettered).toBe(2);
    expect(drain.health().storeHealthy).toBe(true);
    const letters = (await readFile(join(h.walDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(2);
    expect(letters.filter((l) => l.position === garbage)).toHaveLength(1);
    const refused = letters.find((l) => l.position !== garbage);
    expect(refused.reason).toMatch(/^refused by ClickHouse: 1 of 1 rows of wal_rows: .*Code: (72|27|6)\./s);
    await drain.stop();
    await wal.close();
  });

  /** Entries of spans named by `names`, whose rows ClickHouse refuses for the spans named in `bad`. */
  function refusingRows(bad: (id: string) => boolean) {
    return (batches: PositionedBatch[]) => {
      const tables = toTestRows(batches);
      for (const row of tables.get(ROWS_TABLE) ?? []) if (bad(row.id as string)) row.start = -1;
      return tables;
    };
  }

  async function readLetters(): Promise<Record<string, unknown>[]> {
    const text = await readFile(join(h.walDir, 'dead-letter.jsonl'), 'utf8');
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }

  it('loses only the row ClickHouse refuses: the rest of its entry is stored, the row dead-lettered', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const mixed = ids('mixed', 10);
    mixed[6] = 'bad';
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 1, spans: [span('ok-1')] }));
    const entry = await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: mixed.map((id, i) => span(id, i)) }),
    );
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 1, spans: [span('ok-2')] }));
    const committed: string[] = [];
    const drain = startDrain({
      wal,
      store: h.scoped,
      toRows: refusingRows((id) => id === 'bad'),
      lingerMs: 0,
      onCommitted: (tables) => {
        for (const row of tables.get(ROWS_TABLE) ?? []) committed.push(row.id as string);
      },
    });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    const good = ['ok-1', ...mixed.filter((id) => id !== 'bad'), 'ok-2'];
    expectExactlyOnce(await h.countsById(), good);
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), ['ok-1', ...mixed, 'ok-2']);
    // The trace stage hears of what was stored, not of the refused row.
    expect(committed.sort()).toEqual([...good].sort());
    expect(drain.stats().deadLettered).toBe(1);
    const [letter] = await readLetters();
    expect(letter?.position).toBe(entry);
    expect(letter?.reason).toMatch(/^refused by ClickHouse: 1 of 10 rows of wal_rows: .*Code: (72|27|6)\./s);
    expect(letter?.refused).toEqual([
      {
        table: ROWS_TABLE,
        from: 6,
        to: 7,
        error: expect.any(String),
        rows: [{ project: 'p1', id: 'bad', start: -1 }],
      },
    ]);
    await drain.stop();
    await wal.close();
  });

  it('writes nothing twice when the store fails in the middle of finding the refused rows', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const mixed = ids('halving', 40);
    mixed[3] = 'bad-3';
    mixed[29] = 'bad-29';
    await wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: mixed.map((id, i) => span(id, i)) }),
    );
    // Halving inserts go under their row range's token; the third one stored loses its answer, as a reset connection would.
    let halvesStored = 0;
    const failing: Store = {
      ...h.scoped,
      async insert(table, rows, options) {
        await h.scoped.insert(table, rows, options);
        if (options?.deduplicationToken?.includes(':rows') && ++halvesStored === 3) {
          throw new Error('connection reset after insert');
        }
      },
    };
    const drain = startDrain({
      wal,
      store: failing,
      toRows: refusingRows((id) => id.startsWith('bad')),
      lingerMs: 0,
      retry: { initialMs: 1, maxMs: 5 },
    });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expect(drain.stats().failedRounds).toBe(1);
    expectExactlyOnce(
      await h.countsById(),
      mixed.filter((id) => !id.startsWith('bad')),
    );
    const letters = await readLetters();
    expect(letters).toHaveLength(1);
    const refused = letters[0]?.refused as { from: number; to: number }[];
    expect(refused.map((r) => [r.from, r.to])).toEqual([
      [3, 4],
      [29, 30],
    ]);
    await drain.stop();
    await wal.close();
  });

  it('refuses a table whose every row ClickHouse refuses in a bounded number of inserts', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const all = ids('bad', 200);
    await wal.append(encodeBatch({ projectId: 'p1', receivedAt: 1, spans: all.map((id, i) => span(id, i)) }));
    let inserts = 0;
    const counting: Store = {
      ...h.scoped,
      async insert(table, rows, options) {
        if (table === ROWS_TABLE) inserts++;
        await h.scoped.insert(table, rows, options);
      },
    };
    const drain = startDrain({ wal, store: counting, toRows: refusingRows(() => true), lingerMs: 0 });
    drain.wake();
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expect((await h.countsById()).size).toBe(0);
    expectExactlyOnce(await h.countsById(EVENTS_TABLE), all);
    // The round's insert, then at most 32 for the entry.
    expect(inserts).toBeLessThanOrEqual(33);
    const [letter] = await readLetters();
    expect(letter?.reason).toMatch(/^refused by ClickHouse: 200 of 200 rows of wal_rows: /);
    const refused = letter?.refused as { from: number; to: number; rows: unknown[] }[];
    // Every row accounted for once, in order.
    expect(refused.flatMap((r) => r.rows.map((_, i) => r.from + i))).toEqual(all.map((_, i) => i));
    await drain.stop();
    await wal.close();
  });

  it('knows after a restart the requests the last process took, journalled or only logged', async () => {
    // One process, then the next, on the same log directory.
    const start = () =>
      openPipeline({ wal: { dir: h.walDir }, store: h.scoped, toRows: toTestRows, drain: { lingerMs: 0 } });
    const first = await start();
    // Answered, drained and committed: only the journal remembers it now.
    expect(await first.ingest.ingest('p1', [span('answered')], 'digest-answered')).toBe('appended');
    expect(await first.drain.waitForDrain(20_000)).toBe(true);
    await first.drain.stop();
    // Logged, then the process died before its digest reached the journal.
    await first.wal.append(
      encodeBatch({ projectId: 'p1', receivedAt: 1, spans: [span('logged')], digest: 'digest-logged' }),
    );
    await first.ingest.stop({ drainTimeoutMs: 0 });

    const second = await start();
    expect(await second.ingest.ingest('p1', [span('answered')], 'digest-answered')).toBe('resent');
    expect(await second.ingest.ingest('p1', [span('logged')], 'digest-logged')).toBe('resent');
    expect(await second.ingest.ingest('p1', [span('new')], 'digest-new')).toBe('appended');
    expect(await second.drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), ['answered', 'logged', 'new']);
    await second.ingest.stop();
  });

  it('answers WalFullError when the log is at its cap, and takes requests again once the store drains it', async () => {
    let storeDown = true;
    const wal = await Wal.open({ dir: h.walDir, segmentBytes: 8 * 1024, maxBytes: 16 * 1024 });
    const drain = startDrain({
      wal,
      store: flakyStore(() => storeDown),
      toRows: toTestRows,
      lingerMs: 0,
      retry: { initialMs: 5, maxMs: 20 },
    });
    const ingest = createIngest({ wal, drain });
    const accepted: string[] = [];
    let refusal: unknown;
    for (let i = 0; i < 100 && !refusal; i++) {
      try {
        await ingest.ingest('p1', [span(`cap-${i}`)]);
        accepted.push(`cap-${i}`);
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(WalFullError);
    expect(accepted.length).toBeGreaterThan(5);
    expect(ingest.health()).toMatchObject({ ready: false, walFull: true });

    storeDown = false;
    expect(await drain.waitForDrain(20_000)).toBe(true);
    // Ready again once drained, before any new request: a load balancer routing
    // on /readyz would never send the request that could clear the flag.
    expect(ingest.health()).toMatchObject({ ready: true, walFull: false });
    await ingest.ingest('p1', [span('after-cap')]);
    expect(await drain.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), [...accepted, 'after-cap']);
    await ingest.stop();
  });

  it('stops within its drain timeout while the store is down, keeping the backlog for the next start', async () => {
    const wal = await Wal.open({ dir: h.walDir });
    const drain = startDrain({
      wal,
      store: flakyStore(() => true),
      toRows: toTestRows,
      lingerMs: 0,
      retry: { initialMs: 5, maxMs: 10 },
    });
    const ingest = createIngest({ wal, drain });
    await ingest.ingest('p1', [span('kept-1')]);
    await ingest.ingest('p1', [span('kept-2')]);
    expect(await ingest.stop({ drainTimeoutMs: 100 })).toEqual({ drained: false });
    expect(ingest.health()).toMatchObject({ ready: false, accepting: false });

    const reopened = await Wal.open({ dir: h.walDir });
    expect(reopened.stats().uncommittedEntries).toBe(2);
    const next = startDrain({ wal: reopened, store: h.scoped, toRows: toTestRows, lingerMs: 0 });
    next.wake();
    expect(await next.waitForDrain(20_000)).toBe(true);
    expectExactlyOnce(await h.countsById(), ['kept-1', 'kept-2']);
    await next.stop();
    await reopened.close();
  });
});
