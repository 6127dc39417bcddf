import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/store/chdb-store.ts';

it('refuses an insert whose encoding outlasts the store, with a clear error', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'chdb-close-'));
  try {
    const store = await openEmbeddedStore({ dataDir, database: 'close_test' });
    await store.command('CREATE TABLE t (i UInt32, s String) ENGINE = MergeTree ORDER BY i');
    await store.insert('t', [{ i: 0, s: 'stored before the close' }]);
    // Tens of MB to encode: the insert hands the event loop back (every 10 ms) before it is
    // done, and the close runs in between.
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ i: i + 1, s: 'x'.repeat(1_000) }));
    const late = store.insert('t', rows);
    await store.close();
    await expect(late).rejects.toThrow('store is closed');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
