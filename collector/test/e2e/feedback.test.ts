import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';

/** `POST /v1/feedback`: validated with the SDK's own schema, stored once per id. */
let collector: Awaited<ReturnType<typeof startTestCollector>>;
beforeAll(async () => {
  collector = await startTestCollector();
});
afterAll(async () => {
  await collector?.dispose();
});

const post = (body: unknown, key: string | null = TEST_KEY) =>
  fetch(`${collector.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

describe('POST /v1/feedback', () => {
  it('stores thumbs and scores under the key project, and a resent id once', async () => {
    const traceId = 'ab'.repeat(16);
    const thumbs = {
      id: 'fb-1',
      traceId: traceId.toUpperCase(),
      spanId: 'cd'.repeat(8),
      value: 'down',
      comment: 'wrong',
    };
    expect((await post(thumbs)).status).toBe(202);
    expect((await post(thumbs)).status).toBe(202);
    expect((await post({ id: 'fb-2', traceId, value: 4.5, userId: 'u-9' })).status).toBe(202);

    const rows = await waitFor(async () => {
      const found = await collector.store.query<Record<string, unknown>>(
        `SELECT id, project_id, trace_id, span_id, kind, value, comment, user_id
           FROM feedback FINAL WHERE trace_id = {t:String} ORDER BY id`,
        { params: { t: traceId } },
      );
      return found.length === 2 ? found : null;
    });
    expect(rows).toEqual([
      {
        id: 'fb-1',
        project_id: 'project-a',
        trace_id: traceId,
        span_id: 'cd'.repeat(8),
        kind: 'thumbs',
        value: 0,
        comment: 'wrong',
        user_id: '',
      },
      {
        id: 'fb-2',
        project_id: 'project-a',
        trace_id: traceId,
        span_id: '',
        kind: 'score',
        value: 4.5,
        comment: '',
        user_id: 'u-9',
      },
    ]);
  });

  it('names the bad field, refuses non-JSON and unknown keys', async () => {
    const bad = await post({ traceId: 'xyz', value: 'up' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /traceId: traceId must be 32 hex characters/,
    );
    const badValue = await post({ traceId: 'ab'.repeat(16), value: 'meh' });
    expect(badValue.status).toBe(400);
    expect(((await badValue.json()) as { error: string }).error).toMatch(/^value:/);
    const notJson = await fetch(`${collector.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect((await post({ traceId: 'ab'.repeat(16), value: 'up' }, null)).status).toBe(401);
    expect((await post({ traceId: 'ab'.repeat(16), value: 'up' }, 'not-a-real-key')).status).toBe(401);
  });
});
