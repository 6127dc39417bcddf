/**
 * What an operator sees when accepted data cannot be stored: a line in the
 * log naming the dead-letter file and why, and a counter to alert on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { encodeBatch } from '../../src/pipeline/batch-codec.ts';
import { Wal } from '../../src/pipeline/wal/wal.ts';
import { startTestCollector, waitFor } from '../helpers/collector.ts';
import { span } from '../pipeline/fixtures/spans.ts';
import { metricValue } from './http.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it('says in one line and in oversight_dead_lettered_total that an accepted request was set aside', async () => {
  // A log left by an earlier process: one entry no collector can read, then a good one.
  const walDir = await mkdtemp(path.join(tmpdir(), 'oversight-dead-letters-'));
  dirs.push(walDir);
  const wal = await Wal.open({ dir: walDir });
  await wal.append(new TextEncoder().encode('not a batch'));
  await wal.append(encodeBatch({ projectId: 'project-a', receivedAt: Date.now(), spans: [span('kept')] }));
  await wal.close();

  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  const collector = await startTestCollector({ walDir, evaluators: 'none' });
  try {
    const scrape = async () => (await fetch(`${collector.url}/metrics`)).text();
    await waitFor(
      async () => metricValue(await scrape(), 'oversight_queue_depth') === 0,
      15_000,
      'the old log drained',
    );
    expect(metricValue(await scrape(), 'oversight_dead_lettered_total')).toBe(1);
    // Scraped again, a mirrored counter must not count the same letter twice.
    expect(metricValue(await scrape(), 'oversight_dead_lettered_total')).toBe(1);
    const said = lines.filter((l) => l.includes('set aside'));
    expect(said).toEqual([
      `[oversight] 1 accepted request set aside in ${path.join(walDir, 'dead-letter.jsonl')} (not stored, or not whole): decode: unknown batch format 110`,
    ]);
  } finally {
    spy.mockRestore();
    await collector.dispose();
  }
});
