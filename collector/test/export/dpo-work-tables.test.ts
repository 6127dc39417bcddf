/**
 * The DPO export sorts rated generations by prompt in work tables of the
 * store: it must leave none behind however the export ends, and must clear
 * away what an export killed long ago left.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportPreferences } from '../../src/export/export-preferences.ts';
import { ratedByPrompt } from '../../src/export/preference-query.ts';
import type { Store } from '../../src/store/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { type Generation, seededStore, spanId, traceId, type Vote } from './seed.ts';

const QUESTIONS = ['How do I reset my password?', 'Cancel my subscription', 'Do you ship to Canada?'];

const generations: Generation[] = [];
const votes: Vote[] = [];
for (let n = 1; n <= 30; n++) {
  const question = QUESTIONS[n % QUESTIONS.length] as string;
  generations.push({
    project: 'main',
    trace: traceId(n),
    span: spanId(n),
    question,
    answer: `Answer ${n}`,
  });
  votes.push({
    project: 'main',
    id: `v${n}`,
    traceId: traceId(n),
    spanId: spanId(n),
    kind: 'thumbs',
    value: n % 2,
  });
}

async function workTables(store: Store): Promise<string[]> {
  const rows = await store.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, 'export_dpo_') ORDER BY name`,
    { params: { db: store.database } },
  );
  return rows.map((r) => r.name);
}

// The HTTP shim answers a query in ~0.5 s on a loaded machine, and a sliced DPO export runs dozens.
describe.each(storeBackends())('DPO work tables on $name', (backend) => {
  const seeded = seededStore(backend, generations, votes);

  it('report the prompt-sorting pass as it covers every span, before the first pair', async () => {
    const events: string[] = [];
    await exportPreferences(seeded.store, new PassThrough().resume(), {
      format: 'dpo',
      sliceRows: 4,
      onSorting: (spans, total) => events.push(`sorting ${spans}/${total}`),
      onProgress: (read) => events.push(`read ${read}`),
    });
    const sorting = events.filter((e) => e.startsWith('sorting'));
    // 30 spans in slices of 4: 4, 8, …, 28, then the rest.
    expect(sorting).toEqual([4, 8, 12, 16, 20, 24, 28, 30].map((n) => `sorting ${n}/30`));
    // The generations come after the pass, not interleaved with it.
    expect(events.indexOf('sorting 30/30')).toBeLessThan(
      events.findIndex((e) => e.startsWith('read ') && e !== 'read 0'),
    );
  }, 120_000);

  it('are dropped after an export that succeeds', async () => {
    const summary = await exportPreferences(seeded.store, new PassThrough().resume(), {
      format: 'dpo',
      sliceRows: 4,
    });
    expect(summary.kinds).toEqual({ thumbs_pair: 15 });
    expect(await workTables(seeded.store)).toEqual([]);
  }, 120_000);

  it('are dropped when the reader stops early', async () => {
    let seen: string[] = [];
    let batches = 0;
    for await (const batch of ratedByPrompt(seeded.store, {}, { sliceRows: 4 })) {
      expect(batch.length).toBeGreaterThan(0);
      batches++;
      seen = await workTables(seeded.store);
      break;
    }
    expect(batches).toBe(1);
    // The first batch came from the sorted work table, so it existed while the export ran.
    expect(seen).toHaveLength(2);
    expect(await workTables(seeded.store)).toEqual([]);
  }, 120_000);

  it('are dropped when the output fails', async () => {
    let seen: string[] = [];
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        workTables(seeded.store).then((names) => {
          seen = names;
          callback(new Error('disk full'));
        }, callback);
      },
    });
    await expect(exportPreferences(seeded.store, failing, { format: 'dpo', sliceRows: 4 })).rejects.toThrow(
      'disk full',
    );
    expect(seen).toHaveLength(2);
    expect(await workTables(seeded.store)).toEqual([]);
  }, 120_000);

  it("clears a killed export's tables older than a day, and leaves a running one's", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = `export_dpo_${now - 2 * 86_400}_0123456789ab`;
    const running = `export_dpo_${now - 60}_ba9876543210`;
    for (const name of [stale, `${stale}_bounds`, running])
      await seeded.store.command(
        `CREATE TABLE \`${seeded.store.database}\`.\`${name}\` (x UInt8) ENGINE = MergeTree ORDER BY x`,
      );
    const summary = await exportPreferences(seeded.store, new PassThrough().resume(), { format: 'dpo' });
    expect(summary.kinds).toEqual({ thumbs_pair: 15 });
    expect(await workTables(seeded.store)).toEqual([running]);
    await seeded.store.command(`DROP TABLE \`${seeded.store.database}\`.\`${running}\` SYNC`);
  }, 120_000);
});
