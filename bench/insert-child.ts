/**
 * The ingest baseline, in its own process: the rows the collector would write
 * for the same spans (`otel_traces` + `llm_spans`, built before the clock
 * starts), inserted straight into the embedded store as JSONEachRow, one
 * insert per table per export batch, serially like the collector's drain.
 * Argument: JSON `{ spans, batch }`; answers over IPC with `{ type: 'done', … }`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBatchTransform } from '../collector/src/pipeline/transform/batch-transform.ts';
import { openEmbeddedStore } from '../collector/src/store/index.ts';
import { makeGenAiSpans, toPositionedBatches, toSpanRecords } from './genai-spans.ts';
import { processStats, resetLoopDelay } from './process-stats.ts';

const { spans: total, batch } = JSON.parse(process.argv[2] ?? '{}') as { spans: number; batch: number };

const records = toSpanRecords(await makeGenAiSpans(total));
const toRows = createBatchTransform({ maxTextChars: 100_000, scorers: [] });
const rounds = toPositionedBatches(records, batch).map((b) => toRows([b]));

const dir = await mkdtemp(path.join(tmpdir(), 'oversight-bench-insert-'));
const store = await openEmbeddedStore({ dataDir: path.join(dir, 'data') });
try {
  await store.migrate();
  const cpuBefore = processStats().cpuMs;
  resetLoopDelay();
  const started = performance.now();
  for (const tables of rounds) {
    for (const [table, rows] of tables) await store.insert(table, rows, { deduplicationToken: randomUUID() });
  }
  const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM otel_traces');
  const ms = performance.now() - started;
  if (row?.n !== total) throw new Error(`baseline stored ${row?.n} of ${total} rows`);
  const stats = processStats();
  process.send?.({
    type: 'done',
    ms,
    stored: row.n,
    cpuMs: stats.cpuMs - cpuBefore,
    peakRssMb: stats.peakRssMb,
    loopDelayMaxMs: stats.loopDelayMaxMs,
  });
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
process.disconnect?.();
