import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ttlRules } from '../../src/store/ddl-render.ts';
import { openStore } from '../../src/store/open-store.ts';

const RAW = [
  'evaluations',
  'feedback',
  'llm_spans',
  'otel_traces',
  'otel_traces_trace_id_ts',
  'quality_events',
  'retrieval_documents',
];
const ROLLUPS = [
  'evaluations_hourly',
  'feedback_hourly',
  'flagged_traces_hourly',
  'gap_signals_hourly',
  'llm_quality_hourly',
  'llm_spans_hourly',
  'worst_answers_hourly',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oversight-ttl-sync-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts as the collector does (open, migrate) with these days; returns each table's TTL clause and the log. */
async function start(ttlDays: number | undefined, rollupTtlDays?: number, before?: string) {
  const lines: string[] = [];
  const store = await openStore({
    dataDir: join(dir, 'data'),
    ...(ttlDays !== undefined ? { ttlDays } : {}),
    ...(rollupTtlDays !== undefined ? { rollupTtlDays } : {}),
    migrate: true,
    log: (line) => lines.push(line),
    env: {},
  });
  try {
    if (before) {
      await store.command(before);
      await store.close();
      return start(ttlDays, rollupTtlDays);
    }
    const rows = await store.query<{ name: string; ttl: string }>(
      `SELECT name, extract(engine_full, 'TTL (.+?)(?: SETTINGS |$)') AS ttl FROM system.tables
        WHERE database = 'oversight' AND name IN ({tables:Array(String)}) ORDER BY name`,
      { params: { tables: [...RAW, ...ROLLUPS] } },
    );
    return { ttl: Object.fromEntries(rows.map((r) => [r.name, r.ttl])), lines };
  } finally {
    await store.close();
  }
}

const expected = (tables: string[], ttl: (table: string) => string) =>
  Object.fromEntries(tables.map((t) => [t, ttl(t)]));
const rawTtl = (days: number) => (table: string) =>
  days === 0
    ? ''
    : table === 'otel_traces_trace_id_ts'
      ? `Start + toIntervalDay(${days})`
      : table === 'otel_traces'
        ? `toDateTime(Timestamp) + toIntervalDay(${days})`
        : `toDateTime(timestamp) + toIntervalDay(${days})`;
const rollupTtl = (days: number) => () => (days === 0 ? '' : `hour + toIntervalDay(${days})`);

describe('--ttl-days on a database that exists', () => {
  it('knows every table the templates give a TTL', () => {
    expect(
      ttlRules({ database: 'oversight' })
        .map((r) => r.table)
        .sort(),
    ).toEqual([...RAW, ...ROLLUPS].sort());
    expect(
      ttlRules({ database: 'o', cluster: 'c', ttlDays: 0 }).find((r) => r.table === 'llm_spans_local'),
    ).toEqual({
      table: 'llm_spans_local',
      expression: 'toDateTime(timestamp)',
      days: 0,
      rollup: false,
    });
  });

  it('follows the days of each start: 30, then 7, then 0 (none), then 7 again; roll-ups by their own setting', async () => {
    const first = await start(30);
    expect(first.ttl).toEqual({ ...expected(RAW, rawTtl(30)), ...expected(ROLLUPS, rollupTtl(400)) });
    expect(first.lines).toEqual([]);

    const seven = await start(7);
    expect(seven.ttl).toEqual({ ...expected(RAW, rawTtl(7)), ...expected(ROLLUPS, rollupTtl(400)) });
    expect(seven.lines.sort()).toEqual(RAW.map((t) => `${t}: TTL 30 days -> TTL 7 days`).sort());

    // Same days again: nothing to change, nothing said.
    expect((await start(7)).lines).toEqual([]);

    const none = await start(0);
    expect(none.ttl).toEqual({ ...expected(RAW, rawTtl(0)), ...expected(ROLLUPS, rollupTtl(400)) });
    expect(none.lines.sort()).toEqual(RAW.map((t) => `${t}: TTL 7 days -> no TTL`).sort());

    const back = await start(7, 90);
    expect(back.ttl).toEqual({ ...expected(RAW, rawTtl(7)), ...expected(ROLLUPS, rollupTtl(90)) });
    expect(back.lines.sort()).toEqual(
      [
        ...RAW.map((t) => `${t}: no TTL -> TTL 7 days`),
        ...ROLLUPS.map((t) => `${t}: TTL 400 days -> TTL 90 days`),
      ].sort(),
    );
  });

  it('changes nothing it was not given, nor a TTL set by hand', async () => {
    // No days given (a start or `oversight migrate` without --ttl-days): existing tables keep theirs.
    const unset = await start(undefined);
    expect(unset.ttl).toEqual({ ...expected(RAW, rawTtl(7)), ...expected(ROLLUPS, rollupTtl(90)) });
    expect(unset.lines).toEqual([]);
    // Three months, written by an operator: left as it is, and said.
    const own = await start(
      30,
      undefined,
      'ALTER TABLE oversight.llm_spans MODIFY TTL toDateTime(timestamp) + toIntervalMonth(3)',
    );
    expect(own.ttl.llm_spans).toBe('toDateTime(timestamp) + toIntervalMonth(3)');
    expect(own.ttl.evaluations).toBe(rawTtl(30)('evaluations'));
    expect(own.lines).toContain('llm_spans: has a TTL of its own, left as it is (--ttl-days 30 not applied)');
    // The roll-ups kept 90 days: no roll-up days were given.
    expect(own.ttl.llm_spans_hourly).toBe(rollupTtl(90)());
  });
});
