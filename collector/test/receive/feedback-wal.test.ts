import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { decodeBatch, type IngestBatch, openPipeline, type Pipeline } from '../../src/pipeline/index.ts';
import { createBatchTransform } from '../../src/pipeline/transform/batch-transform.ts';
import { createApiKeyResolver, parseApiKeys } from '../../src/receive/api-keys.ts';
import { createApp } from '../../src/receive/app.ts';
import { createRateLimiter } from '../../src/receive/rate-limit.ts';
import { openServerStore, type ServerStore } from '../../src/store/clickhouse-store.ts';
import { closedPort } from '../helpers/ports.ts';

/**
 * `/v1/feedback` in front of the real write-ahead log, with ClickHouse
 * unreachable so nothing drains: a 202 means the feedback is in the log (read
 * back here), a full log is a 503 with the log's Retry-After, a closing
 * collector a 503 too, and nothing refused is in the log.
 */
const KEY = 'feedback-wal-key-0001';
const RETRY_AFTER = 7;

let dir: string;
let store: ServerStore;
let pipeline: Pipeline;
let app: ReturnType<typeof createApp>;

/** A port nothing listens on: connections are refused at once. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feedback-wal-'));
  store = openServerStore({ url: `http://127.0.0.1:${await closedPort()}`, database: 'nowhere' });
  pipeline = await openPipeline({
    wal: { dir, segmentBytes: 4096, maxBytes: 8192, retryAfterSeconds: RETRY_AFTER },
    store,
    toRows: createBatchTransform({ maxTextChars: 1000, scorers: [] }),
    drain: { lingerMs: 0, retry: { initialMs: 50, maxMs: 200 } },
  });
  app = createApp({
    apiKeys: createApiKeyResolver(parseApiKeys(`${KEY}=project-f`), false),
    rateLimiter: createRateLimiter(0),
    metrics: createMetrics(),
    limits: { maxBodyBytes: 1024 ** 2, maxDecompressedBytes: 1024 ** 2 },
    ingest: (projectId, spans) => pipeline.ingest.ingest(projectId, spans),
    ingestFeedback: (projectId, feedback) => pipeline.ingest.ingestFeedback(projectId, feedback),
    readiness: async () => ({ ready: true }),
  });
});

afterAll(async () => {
  await pipeline?.ingest.stop({ drainTimeoutMs: 50 });
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (body: unknown) =>
  app.request('/v1/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

async function logged(): Promise<IngestBatch[]> {
  const entries = await pipeline.wal.read(pipeline.wal.committedPosition, 1000, 1024 ** 2);
  return entries.map((e) => decodeBatch(e.payload));
}

describe('/v1/feedback through the write-ahead log', () => {
  it('acknowledges once the feedback is in the log, settled at receipt', async () => {
    const before = Date.now();
    const traceId = 'ab'.repeat(16);
    expect((await post({ id: 'fb-1', traceId, value: 'down', comment: 'wrong' })).status).toBe(202);
    expect((await post({ traceId, kind: 'copy' })).status).toBe(202);

    const [first, second, ...rest] = await logged();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      projectId: 'project-f',
      spans: [],
      feedback: [{ id: 'fb-1', traceId, kind: 'thumbs', value: 0, comment: 'wrong' }],
    });
    // No id from the client: one is fixed now, so a replay of the entry writes the same row.
    const copy = second?.feedback?.[0];
    expect(copy).toMatchObject({ traceId, kind: 'copy', value: 1 });
    expect(copy?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(copy?.timestamp).toBeGreaterThanOrEqual(before);
    expect(copy?.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('refuses bad bodies before the log', async () => {
    const res = await post({ traceId: 'nope', value: 'up' });
    expect(res.status).toBe(400);
    expect(await logged()).toHaveLength(2);
  });

  it('answers 503 with the log’s Retry-After once the log is full, and logs nothing refused', async () => {
    const traceId = 'cd'.repeat(16);
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await post({ id: `big-${i}`, traceId, value: 'up', comment: 'x'.repeat(2000) });
      statuses.push(res.status);
      if (res.status !== 202) refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe(String(RETRY_AFTER));
    expect(await refused?.json()).toEqual({
      error: 'collector is at capacity (write-ahead log full); retry later',
    });
    const acked = statuses.filter((s) => s === 202).length;
    expect(acked).toBeGreaterThan(0);
    const ids = (await logged()).flatMap((b) => (b.feedback ?? []).map((f) => f.id));
    expect(ids.filter((id) => id.startsWith('big-'))).toEqual(
      Array.from({ length: acked }, (_, i) => `big-${i}`),
    );
  });

  it('answers 503 with Retry-After while the collector shuts down', async () => {
    await pipeline.ingest.stop({ drainTimeoutMs: 50 });
    const res = await post({ traceId: 'ef'.repeat(16), value: 'up' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ error: 'collector is shutting down; retry later' });
  });
});
