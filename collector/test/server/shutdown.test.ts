/**
 * Shutdown with `--shutdown-delay-ms`: readiness fails at once while intake
 * still serves, so a load balancer stops routing before connections are
 * refused; what was accepted in the delay is stored.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { startTestCollector, TEST_KEY } from '../helpers/collector.ts';
import { body, freshSpan, postTraces, traceRows } from './http.ts';

const DELAY_MS = 1_500;

let collector: Awaited<ReturnType<typeof startTestCollector>> | undefined;
afterAll(async () => {
  await collector?.dispose();
});

describe('shutdown delay', () => {
  it('answers /readyz 503 and still takes spans until the delay is over, then closes', async () => {
    collector = await startTestCollector({
      shutdownDelayMs: DELAY_MS,
      evaluators: 'none',
      traceQuality: false,
      topicsEmbedder: 'none',
    });
    const { url } = collector;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const closed = collector.close();
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([503, 'not ready: shutting down']);
    const late = freshSpan({ name: 'sent while shutting down' });
    const lateAnswer = await postTraces(url, body('protobuf', [late]), 'protobuf', { key: TEST_KEY });
    expect(lateAnswer.status).toBe(200);
    // Kept alive, its connection would hold the listener's close open for the keep-alive timeout (65 s).
    expect(lateAnswer.headers.get('connection')).toBe('close');

    await closed;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // The span accepted during the delay was drained into ClickHouse before the store closed.
    const store = await openStore({ dataDir: path.join(collector.dir, 'data') });
    try {
      expect(await traceRows(store, late.traceId, 'SpanName')).toEqual([
        { SpanName: 'sent while shutting down' },
      ]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
