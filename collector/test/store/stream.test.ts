import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreQueryError } from '../../src/store/errors.ts';
import type { Store } from '../../src/store/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';

/** Everything a stream yields, batch by batch. */
async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

// Enough rows that the engine sends more than one block (its default block is 65 409 rows).
const ROWS = 150_000;
const WIDE = `SELECT number AS n, toString(number) AS s, number * 1000000000 AS big,
                     toDateTime64('2026-01-02 03:04:05.123456789', 9, 'UTC') AS at
              FROM numbers({rows:UInt32}) ORDER BY n`;

describe.each(storeBackends())('store.stream on $name', (backend) => {
  let store: Store;

  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  });
  afterAll(() => backend.cleanup());

  it('yields the rows query() returns, with the same value shapes, in more than one batch', async () => {
    const options = { params: { rows: ROWS }, readonly: true };
    const batches = await collect(store.stream<Record<string, unknown>>(WIDE, options));
    expect(batches.length).toBeGreaterThan(1);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThan(ROWS);
    const streamed = batches.flat();
    expect(streamed).toHaveLength(ROWS);
    expect(streamed[123_456]).toEqual({
      n: 123_456,
      s: '123456',
      big: 123_456_000_000_000,
      at: '2026-01-02 03:04:05.123456789',
    });
    expect(streamed).toEqual(await store.query(WIDE, options));
  });

  it('runs against the store database without naming it', async () => {
    await store.insert('feedback', [
      {
        id: 'st-1',
        project_id: 'p',
        trace_id: 't',
        kind: 'thumbs',
        value: 1,
        timestamp: '2026-01-01 00:00:00',
      },
    ]);
    const batches = await collect(store.stream<{ id: string }>("SELECT id FROM feedback WHERE id = 'st-1'"));
    expect(batches.flat()).toEqual([{ id: 'st-1' }]);
  });

  it('refuses writes when read-only and writes nothing', async () => {
    // The server says readonly; chdb refuses any statement but a query on a stream before that.
    const write = collect(store.stream("INSERT INTO feedback (id) VALUES ('x')", { readonly: true }));
    await expect(write).rejects.toBeInstanceOf(StoreQueryError);
    const rows = await store.query("SELECT id FROM feedback WHERE id = 'x'");
    expect(rows).toEqual([]);
  });

  it('reports an engine error as a StoreQueryError with its code', async () => {
    const failing = collect(
      store.stream('SELECT number, throwIf(number = 100000) AS x FROM numbers(150000)', { readonly: true }),
    );
    await expect(failing).rejects.toBeInstanceOf(StoreQueryError);
    await expect(failing).rejects.toMatchObject({ code: 395 });
  });

  it('stops when the caller stops reading, and the store keeps working', async () => {
    let seen = 0;
    for await (const batch of store.stream<{ n: number }>(WIDE, { params: { rows: ROWS }, readonly: true })) {
      seen += batch.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(ROWS);
    expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});

// The HTTP shim in the tests answers with a finished result, so only the
// engine's own stream can show rows arriving while the query still runs.
describe('store.stream on the embedded engine', () => {
  const embedded = storeBackends().find((b) => b.name === 'embedded');
  let store: Store;
  beforeAll(async () => {
    if (!embedded) throw new Error('no embedded backend');
    store = await embedded.open();
  });
  afterAll(() => embedded?.cleanup());

  it('yields rows before the query has finished: an error in a late row comes after the early ones', async () => {
    let before = 0;
    const reading = (async () => {
      for await (const batch of store.stream<{ number: number }>(
        'SELECT number, throwIf(number = 1900000) AS x FROM numbers(2000000)',
        { readonly: true },
      ))
        before += batch.length;
    })();
    await expect(reading).rejects.toMatchObject({ code: 395 });
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(1_900_000);
  });

  it('cancels a query the caller abandons instead of running it to the end', async () => {
    // A billion rows would take minutes to produce; breaking out must end it at once.
    for await (const batch of store.stream<{ number: number }>('SELECT number FROM numbers(1000000000)')) {
      expect(batch[0]).toEqual({ number: 0 });
      break;
    }
    expect(await store.query('SELECT 2 AS two')).toEqual([{ two: 2 }]);
  });
});
