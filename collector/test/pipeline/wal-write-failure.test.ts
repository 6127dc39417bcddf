/**
 * A write that fails (the disk full for a moment) refuses that append and no
 * more: its partial bytes are cut off, the next append goes where it would
 * have gone, and /v1/traces answers the refused request 503 with Retry-After
 * and the reason. Only a failed fsync, after which what the file holds is
 * unknown, stops the log until a restart.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { openPipeline } from '../../src/pipeline/open-pipeline.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { WalClosedError, WalWriteError } from '../../src/pipeline/wal/errors.ts';
import { Wal, type WalEntry } from '../../src/pipeline/wal/wal.ts';
import { createApiKeyResolver, parseApiKeys } from '../../src/receive/api-keys.ts';
import { createApp } from '../../src/receive/app.ts';
import { createRateLimiter } from '../../src/receive/rate-limit.ts';
import { openServerStore } from '../../src/store/clickhouse-store.ts';
import { request, span } from '../otlp/requests.ts';
import { metricValue } from '../server/http.ts';

/** Segment files whose creation fails, by path, while the flag is set (ENOSPC: the directory cannot grow). */
const segmentOpen = vi.hoisted(() => ({ fail: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    open: (...args: Parameters<typeof fs.open>) => {
      if (segmentOpen.fail && String(args[0]).endsWith('.wal') && args[1] === 'wx') {
        segmentOpen.fail = false;
        return Promise.reject(
          Object.assign(new Error(`ENOSPC: no space left on device, open '${args[0]}'`), { code: 'ENOSPC' }),
        );
      }
      return fs.open(...args);
    },
  };
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const text = (s: string) => Buffer.from(s);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wal-write-failure-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The log's file handle, with its methods open to replacement (the faults a disk can produce). */
function handleOf(wal: Wal): FileHandle {
  return (wal as unknown as { activeHandle: FileHandle }).activeHandle;
}

/** The next write lands its first half, then the disk is full. */
function failNextWriteHalfway(wal: Wal): void {
  const fh = handleOf(wal);
  const realWrite = fh.write.bind(fh) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
  let calls = 0;
  fh.write = ((buf: Buffer, off: number, len: number, pos: number) => {
    calls++;
    if (calls === 1) return realWrite(buf, off, Math.max(1, Math.floor(len / 2)), pos);
    if (calls === 2) return Promise.reject(enospc());
    return realWrite(buf, off, len, pos);
  }) as FileHandle['write'];
}

async function payloads(wal: Wal): Promise<string[]> {
  const entries = await wal.read(wal.committedPosition, 1000, 1 << 20);
  return entries.map((e: WalEntry) => e.payload.toString());
}

describe('a failed write to the log', () => {
  it('reports the failure for its Retry-After, then lets it lapse, with no traffic to clear it', async () => {
    const wal = await Wal.open({ dir, retryAfterSeconds: 0.2 });
    await wal.append(text('one'));
    failNextWriteHalfway(wal);
    await wal.append(text('two, refused')).catch(() => {});
    expect(wal.stats().writeFailing).toBe('ENOSPC: no space left on device, write');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wal.stats().writeFailing).toBeNull();
    await wal.close();
  });

  it('refuses that append only: partial bytes cut off, the next append written where it would have been', async () => {
    const wal = await Wal.open({ dir, retryAfterSeconds: 3 });
    expect(await wal.append(text('one'))).toBe(0);
    const second = wal.endPosition;
    failNextWriteHalfway(wal);
    const refused = await wal.append(text('two, refused')).catch((e) => e);
    expect(refused).toBeInstanceOf(WalWriteError);
    expect(refused).toMatchObject({
      message: 'log cannot write: ENOSPC: no space left on device, write; retry later',
      code: 'ENOSPC',
      retryAfterSeconds: 3,
    });
    // The file holds no trace of it.
    expect((await stat(join(dir, '00000000000000000000.wal'))).size).toBe(second);

    expect(await wal.append(text('three'))).toBe(second);
    expect(await wal.append(text('four'))).toBeGreaterThan(second);
    expect(await payloads(wal)).toEqual(['one', 'three', 'four']);
    expect(wal.stats()).toMatchObject({ failed: null, writeFailures: 1, appendedEntries: 3 });
    await wal.close();

    const reopened = await Wal.open({ dir });
    expect(await payloads(reopened)).toEqual(['one', 'three', 'four']);
    await reopened.close();
  });

  it('refuses the append whose new segment cannot be created, and rolls on the next', async () => {
    const wal = await Wal.open({ dir, segmentBytes: 64 });
    await wal.append(new Uint8Array(40));
    segmentOpen.fail = true;
    const refused = await wal.append(new Uint8Array(40)).catch((e) => e);
    expect(refused).toBeInstanceOf(WalWriteError);
    expect(refused.code).toBe('ENOSPC');
    const position = await wal.append(new Uint8Array(40));
    expect(wal.stats()).toMatchObject({ failed: null, segments: 2, writeFailures: 1 });
    expect((await wal.read(position, 10, 1 << 20)).map((e) => e.payload.byteLength)).toEqual([40]);
    await wal.close();
  });

  it('stops the log when the fsync fails: what the file holds is unknown until a restart', async () => {
    const wal = await Wal.open({ dir });
    await wal.append(text('one'));
    const fh = handleOf(wal);
    fh.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    const refused = await wal.append(text('two')).catch((e) => e);
    expect(refused).toBeInstanceOf(WalClosedError);
    expect(refused).not.toBeInstanceOf(WalWriteError);
    await expect(wal.append(text('three'))).rejects.toThrow('WAL failed: EIO: i/o error, fsync');
    expect(wal.stats()).toMatchObject({ failed: 'EIO: i/o error, fsync', writeFailures: 0 });
    await wal.close();
  });

  it('stops the log when the partial bytes cannot be cut off', async () => {
    const wal = await Wal.open({ dir });
    await wal.append(text('one'));
    failNextWriteHalfway(wal);
    handleOf(wal).truncate = () =>
      Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    const refused = await wal.append(text('two')).catch((e) => e);
    expect(refused).not.toBeInstanceOf(WalWriteError);
    await expect(wal.append(text('three'))).rejects.toBeInstanceOf(WalClosedError);
    expect(wal.stats().failed).toBe('ENOSPC: no space left on device, write');
    await wal.close();
  });
});

describe('/v1/traces while the log cannot write', () => {
  it('answers 503 with Retry-After and the reason, counts it apart, and takes the retry', async () => {
    // Nothing listens: the drain never empties the log, so what was accepted is read back here.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const store = openServerStore({ url: `http://127.0.0.1:${port}`, database: 'nowhere' });
    const pipeline = await openPipeline({
      wal: { dir, retryAfterSeconds: 4 },
      store,
      toRows: createBatchTransform({ maxTextChars: 1000, scorers: [] }),
      drain: { lingerMs: 0, retry: { initialMs: 50, maxMs: 200 } },
    });
    const metrics = createMetrics();
    const app = createApp({
      apiKeys: createApiKeyResolver(parseApiKeys('wal-failure-key-001=p'), false),
      rateLimiter: createRateLimiter(0),
      metrics,
      limits: { maxBodyBytes: 1024 ** 2, maxDecompressedBytes: 1024 ** 2 },
      ingest: (projectId, spans) => pipeline.ingest.ingest(projectId, spans),
      ingestFeedback: (projectId, feedback) => pipeline.ingest.ingestFeedback(projectId, feedback),
      readiness: async () => ({ ready: true }),
    });
    const post = () =>
      app.request('/v1/traces', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wal-failure-key-001' },
        body: Buffer.from(request('json', [span()])),
      });
    try {
      failNextWriteHalfway(pipeline.wal);
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('4');
      expect(((await refused.json()) as { message: string }).message).toBe(
        'log cannot write: ENOSPC: no space left on device, write; retry later',
      );
      const exposition = await metrics.registry.metrics();
      expect(metricValue(exposition, 'oversight_spans_rejected_total{reason="log_write_failed"}')).toBe(1);
      expect(metricValue(exposition, 'oversight_spans_rejected_total{reason="shutting_down"}')).toBe(0);
      // Not ready while the disk refuses writes, so a balancer sends traffic elsewhere.
      expect(pipeline.ingest.health()).toMatchObject({
        ready: false,
        reasons: expect.arrayContaining([
          'write-ahead log cannot write: ENOSPC: no space left on device, write',
        ]),
      });

      expect((await post()).status).toBe(200);
      expect(pipeline.ingest.health().ready).toBe(true);
      expect(await pipeline.wal.read(0, 10, 1 << 20)).toHaveLength(1);

      // Feedback goes through the same log, and says the same.
      const thumb = () =>
        app.request('/v1/feedback', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer wal-failure-key-001' },
          body: JSON.stringify({ traceId: 'ab'.repeat(16), value: 'up' }),
        });
      failNextWriteHalfway(pipeline.wal);
      const feedback = await thumb();
      expect(feedback.status).toBe(503);
      expect(feedback.headers.get('retry-after')).toBe('4');
      expect(await feedback.json()).toEqual({
        error: 'log cannot write: ENOSPC: no space left on device, write; retry later',
      });
      expect((await thumb()).status).toBe(202);
    } finally {
      await pipeline.ingest.stop({ drainTimeoutMs: 50 });
      await store.close();
    }
  });
});
