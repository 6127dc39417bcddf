import { feedback } from '@oversight/sdk';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/collector.ts';
import { useCollectorBehindProxy } from './behind-proxy.ts';
import { metricValue } from './spans.ts';

/**
 * The SDK's `feedback()` against a collector whose write-ahead log is full
 * (ClickHouse down): the collector answers 503 with its `Retry-After`, the SDK
 * waits and retries with the same id, ClickHouse returns, the log drains, the
 * retry is acknowledged, and the feedback is stored once.
 */
const KEY = 'feedback-full-key-01';
const DATABASE = `faults_feedback_full_${process.pid}`;
const FEEDBACK_503 = 'route="/v1/feedback",status="503"';

const stack = useCollectorBehindProxy(DATABASE, {
  apiKeys: `${KEY}=project-fb`,
  walMaxBytes: 64 * 1024,
  walRetryAfterSeconds: 1,
});

const post = (body: unknown) =>
  fetch(`${stack.collector.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

describe('feedback when the write-ahead log is full', () => {
  it('is refused with Retry-After, retried by the SDK, and stored once', { timeout: 120_000 }, async () => {
    await stack.proxy.cut();
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
      { endpoint: stack.collector.url, apiKey: KEY, retries: 60, retryBudgetMs: 90_000 },
    );
    // Refused at least once before ClickHouse is back.
    await waitFor(
      async () => {
        const text = await (await fetch(`${stack.collector.url}/metrics`)).text();
        const refusals = metricValue(text, 'oversight_http_requests_total', FEEDBACK_503) ?? 0;
        return refusals >= 2;
      },
      30_000,
      'the SDK refused again',
    );
    await stack.proxy.restore();
    const result = await sent;
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect((result as { attempts: number }).attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const rows = await waitFor(
      async () => {
        const found = await stack.direct.query<{ id: string; n: number | string }>(
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
