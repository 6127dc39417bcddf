import { feedback } from '@oversight/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerStore, type ServerStore } from '../../src/store/clickhouse-store.ts';
import { type ChdbHttpServer, startChdbHttpServer } from '../helpers/chdb-http-server.ts';
import { startTestCollector, waitFor } from '../helpers/collector.ts';
import { acquireChdbDataDir, releaseChdbDataDir } from '../helpers/store-backends.ts';
import { metricValue } from './spans.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * The SDK's `feedback()` against a collector whose write-ahead log is full
 * (ClickHouse down): the collector answers 503 with its `Retry-After`, the SDK
 * waits and retries with the same id, ClickHouse returns, the log drains, the
 * retry is acknowledged, and the feedback is stored once.
 */
const KEY = 'feedback-full-key-01';
const DATABASE = `faults_feedback_full_${process.pid}`;
const FEEDBACK_503 = 'route="/v1/feedback",status="503"';

let clickhouse: ChdbHttpServer;
let proxy: TcpProxy;
let direct: ServerStore;
let collector: Awaited<ReturnType<typeof startTestCollector>>;

beforeAll(async () => {
  clickhouse = await startChdbHttpServer({ dataDir: await acquireChdbDataDir() });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: clickhouse.port });
  direct = openServerStore({ url: clickhouse.url, database: DATABASE });
  collector = await startTestCollector({
    clickhouseUrl: proxy.url,
    database: DATABASE,
    apiKeys: `${KEY}=project-fb`,
    walMaxBytes: 64 * 1024,
    walRetryAfterSeconds: 1,
    evaluators: 'none',
  });
});

afterAll(async () => {
  await proxy?.restore();
  await collector?.dispose();
  await direct?.command(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await direct?.close();
  await proxy?.close();
  await clickhouse?.close();
  await releaseChdbDataDir();
});

const post = (body: unknown) =>
  fetch(`${collector.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

describe('feedback when the write-ahead log is full', () => {
  it('is refused with Retry-After, retried by the SDK, and stored once', { timeout: 120_000 }, async () => {
    await proxy.cut();
    const traceId = 'ab'.repeat(16);
    const filler: string[] = [];
    let refused: Response | undefined;
    // Big entries first, then small ones into what is left: the SDK's feedback must not fit either.
    for (const comment of ['x'.repeat(8 * 1024), '']) {
      refused = undefined;
      for (let i = 0; i < 400 && !refused; i++) {
        const id = `filler-${filler.length}`;
        const res = await post({ id, traceId, value: 'up', comment: comment || undefined });
        if (res.status === 202) filler.push(id);
        else refused = res;
      }
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get('retry-after')).toBe('1');
    }
    expect(filler.length).toBeGreaterThan(0);

    const started = Date.now();
    const sent = feedback(
      { id: 'fb-after-full', traceId, value: 'down', comment: 'late but kept' },
      { endpoint: collector.url, apiKey: KEY, retries: 60, retryBudgetMs: 90_000 },
    );
    // Refused at least once before ClickHouse is back.
    await waitFor(
      async () => {
        const text = await (await fetch(`${collector.url}/metrics`)).text();
        const refusals = metricValue(text, 'oversight_http_requests_total', FEEDBACK_503) ?? 0;
        return refusals >= 2;
      },
      30_000,
      'the SDK refused again',
    );
    await proxy.restore();
    const result = await sent;
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect((result as { attempts: number }).attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const rows = await waitFor(
      async () => {
        const found = await direct.query<{ id: string; n: number | string }>(
          'SELECT id, count() AS n FROM feedback WHERE trace_id = {t:String} GROUP BY id',
          { params: { t: traceId } },
        );
        return found.length === filler.length + 1 ? found : null;
      },
      60_000,
      'every acknowledged feedback stored',
    );
    expect(new Map(rows.map((r) => [r.id, Number(r.n)]))).toEqual(
      new Map([...filler, 'fb-after-full'].map((id) => [id, 1])),
    );
  });
});
