/**
 * The receive middleware on a bare hono app, as another route would use them:
 * what reaches the handler, and what is refused before it runs.
 */
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApiKeyResolver } from '../../src/receive/api-keys.ts';
import { adminTokenAuth, apiKeyAuth } from '../../src/receive/auth.ts';
import { jsonBody } from '../../src/receive/json-body.ts';
import { createRateLimiter, rateLimit } from '../../src/receive/rate-limit.ts';

const KEY = 'key-for-project-x';
const resolver = createApiKeyResolver(new Map([[KEY, 'project-x']]), false);

function app(spansPerSecond: number, now: () => number) {
  const limiter = createRateLimiter(spansPerSecond, now);
  const seen: unknown[] = [];
  const hono = new Hono();
  hono.post(
    '/fixed',
    apiKeyAuth({ resolver }),
    rateLimit({ limiter, cost: 1 }),
    jsonBody({ maxBytes: 64 }),
    (c) => {
      seen.push({ project: c.get('identity').projectId, body: c.get('body') });
      return c.text('ok');
    },
  );
  hono.post('/deferred', apiKeyAuth({ resolver }), rateLimit({ limiter }), (c) => {
    const wait = c.get('takeQuota')(Number(c.req.query('n')));
    return c.json({ wait });
  });
  return { hono, seen };
}

const post = (
  hono: Hono,
  path: string,
  init: { key?: string; body?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string> },
) =>
  hono.request(path, {
    method: 'POST',
    body: init.body ?? '{}',
    headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...init.headers },
  });

describe('apiKeyAuth', () => {
  it('puts the key project on the context and refuses unknown keys before the handler', async () => {
    const { hono, seen } = app(100, () => 0);
    const ok = await post(hono, '/fixed', { key: KEY, body: '{"a":1}' });
    expect(ok.status).toBe(200);
    expect(seen).toEqual([{ project: 'project-x', body: { a: 1 } }]);

    const refused = await post(hono, '/fixed', { key: 'not-a-known-key' });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: expect.stringMatching(/^missing or unknown API key/) });
    expect(seen).toHaveLength(1);
  });
});

describe('rateLimit', () => {
  it('with a cost, takes it per request and answers 429 with Retry-After once the bucket is empty', async () => {
    const { hono, seen } = app(1, () => 0);
    // Capacity is two seconds' worth: two requests.
    expect((await post(hono, '/fixed', { key: KEY })).status).toBe(200);
    expect((await post(hono, '/fixed', { key: KEY })).status).toBe(200);
    const third = await post(hono, '/fixed', { key: KEY });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(await third.json()).toEqual({ error: 'rate limit exceeded for this API key; retry in 1 s' });
    expect(seen).toHaveLength(2);
  });

  it('without a cost, lets the route take what it decoded and refuses a key that owes', async () => {
    let now = 0;
    const { hono } = app(10, () => now);
    const first = await post(hono, '/deferred?n=50', { key: KEY });
    // 50 > the 20-span bucket, but a full bucket admits it and the key owes 30 spans (3 s).
    expect(await first.json()).toEqual({ wait: 0 });
    const owed = await post(hono, '/deferred?n=1', { key: KEY });
    expect(owed.status).toBe(429);
    expect(owed.headers.get('retry-after')).toBe('4');
    now += 3_100;
    expect(await (await post(hono, '/deferred?n=1', { key: KEY })).json()).toEqual({ wait: 0 });
  });
});

describe('jsonBody', () => {
  it('parses gzip bodies and refuses oversized or non-JSON ones with the reason', async () => {
    const { hono, seen } = app(1000, () => 0);
    const gz = await post(hono, '/fixed', {
      key: KEY,
      body: gzipSync('{"z":true}'),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(gz.status).toBe(200);
    expect(seen.at(-1)).toEqual({ project: 'project-x', body: { z: true } });

    const large = await post(hono, '/fixed', { key: KEY, body: JSON.stringify({ text: 'x'.repeat(100) }) });
    expect(large.status).toBe(413);
    const notJson = await post(hono, '/fixed', { key: KEY, body: 'not json' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: expect.stringMatching(/^body must be JSON: /) });
    expect(seen).toHaveLength(1);
  });
});

describe('adminTokenAuth', () => {
  it('is a 404 without a token, 403 with the wrong one, and passes the right one', async () => {
    const route = (token: string | undefined) =>
      new Hono().post('/admin', adminTokenAuth(token), (c) => c.text('in'));
    expect((await route(undefined).request('/admin', { method: 'POST' })).status).toBe(404);
    const wrong = await route('s3cret').request('/admin', {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(403);
    const right = await route('s3cret').request('/admin', {
      method: 'POST',
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(await right.text()).toBe('in');
  });
});
